using System.Buffers.Binary;
using Keel.Protocol.Framing;

namespace Keel.Server.Storage;

/// <summary>
/// The stored value of one journal entry: a marker (0xFFFE), the entry's message type, when it was
/// appended (unix ms), then the protocol message as the SDK or the server wrote it. Values written
/// before the append time was kept have no marker: just the type and the message. 0xFFFE is never a
/// journal entry's type (it lies in the protocol's custom range, which Keel does not journal).
/// </summary>
public static class JournalValue
{
    private const ushort Marker = 0xFFFE;
    private const int HeaderSize = 12;

    public static byte[] Encode(MessageType type, DateTimeOffset appendedAt, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, Marker);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)type);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(4), appendedAt.ToUnixTimeMilliseconds());
        payload.CopyTo(bytes.AsSpan(HeaderSize));
        return bytes;
    }

    /// <summary>The entry's type, its append time when known, and its protocol message.</summary>
    public static (MessageType Type, DateTimeOffset? AppendedAt, ReadOnlyMemory<byte> Payload) Decode(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length >= HeaderSize && BinaryPrimitives.ReadUInt16BigEndian(value) == Marker)
        {
            return ((MessageType)BinaryPrimitives.ReadUInt16BigEndian(value.AsSpan(2)),
                DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(value.AsSpan(4))),
                value.AsMemory(HeaderSize));
        }

        return ((MessageType)BinaryPrimitives.ReadUInt16BigEndian(value), null, value.AsMemory(2));
    }
}
