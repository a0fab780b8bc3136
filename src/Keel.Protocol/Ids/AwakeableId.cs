using System.Buffers.Binary;
using System.Buffers.Text;

namespace Keel.Protocol.Ids;

/// <summary>
/// Signal-based awakeable ids: <c>sign_1</c> + base64url (no padding) of the invocation id's 24 raw
/// bytes followed by the signal index as a big-endian u32.
/// </summary>
public readonly record struct AwakeableId(InvocationId InvocationId, uint SignalIndex)
{
    public const string Prefix = "sign_1";

    public override string ToString()
    {
        Span<byte> raw = stackalloc byte[InvocationId.ByteLength + 4];
        InvocationId.WriteTo(raw);
        BinaryPrimitives.WriteUInt32BigEndian(raw[InvocationId.ByteLength..], SignalIndex);
        return Prefix + Base64Url.EncodeToString(raw);
    }

    public static bool TryParse(string? text, out AwakeableId id)
    {
        id = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var body = text.AsSpan(Prefix.Length).TrimEnd('=');
        Span<byte> raw = stackalloc byte[64];
        if (!Base64Url.TryDecodeFromChars(body, raw, out var written) || written != InvocationId.ByteLength + 4)
        {
            return false;
        }

        id = new AwakeableId(InvocationId.FromBytes(raw[..InvocationId.ByteLength]), BinaryPrimitives.ReadUInt32BigEndian(raw[InvocationId.ByteLength..]));
        return true;
    }
}
