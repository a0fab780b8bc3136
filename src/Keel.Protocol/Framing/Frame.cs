namespace Keel.Protocol.Framing;

/// <summary>One decoded frame: its header and its (still protobuf-encoded) payload.</summary>
public sealed record Frame(FrameHeader Header, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The message type, from the header.</summary>
    public MessageType Type => Header.Type;
}
