using System.Buffers.Binary;

namespace Keel.Protocol.Framing;

/// <summary>
/// The 8-byte, big-endian frame header: type id (bits 63..48), the requested-ack flag (bit 47)
/// and the payload length (bits 31..0). Other flag bits are reserved and ignored on read.
/// </summary>
public readonly record struct FrameHeader(MessageType Type, uint Length, bool RequestedAck = false)
{
    /// <summary>The header's length in bytes.</summary>
    public const int Size = 8;
    private const ulong RequestedAckMask = 0x0000_8000_0000_0000UL;

    /// <summary>The header as the 64-bit value sent on the wire.</summary>
    public ulong ToUInt64() =>
        ((ulong)(ushort)Type << 48) | (RequestedAck ? RequestedAckMask : 0UL) | Length;

    /// <summary>Reads a header from its 64-bit wire value.</summary>
    public static FrameHeader FromUInt64(ulong raw) =>
        new((MessageType)(ushort)(raw >> 48), (uint)raw, (raw & RequestedAckMask) != 0);

    /// <summary>Writes the header big-endian into the first <see cref="Size"/> bytes.</summary>
    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, ToUInt64());

    /// <summary>Reads a big-endian header from the first <see cref="Size"/> bytes.</summary>
    public static FrameHeader ReadFrom(ReadOnlySpan<byte> source) =>
        FromUInt64(BinaryPrimitives.ReadUInt64BigEndian(source));
}
