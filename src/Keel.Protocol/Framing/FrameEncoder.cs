using System.Buffers;
using Google.Protobuf;

namespace Keel.Protocol.Framing;

/// <summary>Encodes protobuf messages as frames (header + payload).</summary>
public static class FrameEncoder
{
    /// <summary>One frame in a new array: header, then the message's bytes.</summary>
    public static byte[] Encode(MessageType type, IMessage message, bool requestedAck = false)
    {
        var size = message.CalculateSize();
        var bytes = new byte[FrameHeader.Size + size];
        new FrameHeader(type, (uint)size, requestedAck).WriteTo(bytes);
        message.WriteTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    /// <summary>Writes one frame into <paramref name="writer"/> without an intermediate copy.</summary>
    public static void Encode(IBufferWriter<byte> writer, MessageType type, IMessage message, bool requestedAck = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var span = writer.GetSpan(FrameHeader.Size + size)[..(FrameHeader.Size + size)];
        new FrameHeader(type, (uint)size, requestedAck).WriteTo(span);
        message.WriteTo(span[FrameHeader.Size..]);
        writer.Advance(FrameHeader.Size + size);
    }
}
