using System.Buffers.Binary;

namespace Keel.Protocol.Framing;

/// <summary>
/// The 8-byte, big-endian frame header: type id (bits 63..48), the requested-ack flag (bit 47)
/// and the payload length (bits 31..0). Other flag bits are reserved and ignored on read.
/// </summary>
public readonly record struct FrameHeader(MessageType Type, uint Length, bool RequestedAck = false)
{
    public const int Size = 8;
    private const ulong RequestedAckMask = 0x0000_8000_0000_0000UL;

    public ulong ToUInt64() =>
        ((ulong)(ushort)Type << 48) | (RequestedAck ? RequestedAckMask : 0UL) | Length;

    public static FrameHeader FromUInt64(ulong raw) =>
        new((MessageType)(ushort)(raw >> 48), (uint)raw, (raw & RequestedAckMask) != 0);

    public void WriteTo(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination, ToUInt64());

    public static FrameHeader ReadFrom(ReadOnlySpan<byte> source) =>
        FromUInt64(BinaryPrimitives.ReadUInt64BigEndian(source));
}
