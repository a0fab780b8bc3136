using System.Buffers.Binary;
using System.Buffers.Text;

namespace Keel.Protocol.Ids;

/// <summary>
/// Signal-based awakeable ids: <c>sign_1</c> + base64url (no padding) of the invocation id's 24 raw
/// bytes followed by the signal index as a big-endian u32.
/// </summary>
public readonly record struct AwakeableId(InvocationId InvocationId, uint SignalIndex)
{
    /// <summary>The text prefix of every awakeable id.</summary>
    public const string Prefix = "sign_1";

    // base64url without padding; the decoder alone would skip whitespace.
    private static readonly System.Buffers.SearchValues<char> Alphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>The text form handed to whoever completes the awakeable.</summary>
    public override string ToString()
    {
        Span<byte> raw = stackalloc byte[InvocationId.ByteLength + 4];
        InvocationId.WriteTo(raw);
        BinaryPrimitives.WriteUInt32BigEndian(raw[InvocationId.ByteLength..], SignalIndex);
        return Prefix + Base64Url.EncodeToString(raw);
    }

    /// <summary>Reads an awakeable id's text form; false when it is not one.</summary>
    public static bool TryParse(string? text, out AwakeableId id)
    {
        id = default;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var body = text.AsSpan(Prefix.Length).TrimEnd('=');
        Span<byte> raw = stackalloc byte[64];
        if (body.Length > 86 || body.ContainsAnyExcept(Alphabet) || !TryDecode(body, raw, out var written) || written != InvocationId.ByteLength + 4)
        {
            return false;
        }

        id = new AwakeableId(InvocationId.FromBytes(raw[..InvocationId.ByteLength]), BinaryPrimitives.ReadUInt32BigEndian(raw[InvocationId.ByteLength..]));
        return true;
    }

    // Some invalid inputs make the decoder throw rather than answer false: any of them is just "not an id".
    private static bool TryDecode(ReadOnlySpan<char> body, Span<byte> raw, out int written)
    {
        try
        {
            return Base64Url.TryDecodeFromChars(body, raw, out written);
        }
        catch (FormatException)
        {
            written = 0;
            return false;
        }
    }
}
