using System.Buffers;

namespace Keel.Protocol.Framing;

/// <summary>
/// Incremental frame decoder: bytes arrive in arbitrary chunks (HTTP/2 data frames split messages
/// anywhere), complete frames come out in order. Not thread-safe; one decoder per stream.
/// </summary>
public sealed class FrameDecoder
{
    /// <summary>Largest payload accepted by default, matching the runtime's 32 MiB message limit.</summary>
    public const int DefaultMaxMessageSize = 32 * 1024 * 1024;

    private readonly int _maxMessageSize;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private int _consumed;

    /// <summary>A decoder that rejects payloads larger than <paramref name="maxMessageSize"/> bytes with a <see cref="ProtocolException"/>.</summary>
    public FrameDecoder(int maxMessageSize = DefaultMaxMessageSize) => _maxMessageSize = maxMessageSize;

    /// <summary>Bytes received but not yet returned as a complete frame.</summary>
    public int BufferedBytes => _buffer.WrittenCount - _consumed;

    /// <summary>Adds received bytes; complete frames become available to read in order.</summary>
    public void Push(ReadOnlySpan<byte> chunk)
    {
        Compact();
        _buffer.Write(chunk);
    }

    /// <summary>Returns the next complete frame, or false when more bytes are needed.</summary>
    /// <exception cref="ProtocolException">A header announces a payload above the size limit.</exception>
    public bool TryRead(out Frame frame)
    {
        var available = _buffer.WrittenSpan[_consumed..];
        if (available.Length < FrameHeader.Size)
        {
            frame = null!;
            return false;
        }

        var header = FrameHeader.ReadFrom(available);
        if (header.Length > _maxMessageSize)
        {
            throw new ProtocolException(
                $"Message of type 0x{(ushort)header.Type:X4} has {header.Length} bytes, above the limit of {_maxMessageSize} bytes.");
        }

        var total = FrameHeader.Size + (int)header.Length;
        if (available.Length < total)
        {
            frame = null!;
            return false;
        }

        // Copy the payload out so the frame outlives later pushes into the shared buffer.
        var payload = available.Slice(FrameHeader.Size, (int)header.Length).ToArray();
        _consumed += total;
        frame = new Frame(header, payload);
        return true;
    }

    /// <summary>Decodes every complete frame currently buffered.</summary>
    public IEnumerable<Frame> ReadAll()
    {
        while (TryRead(out var frame))
        {
            yield return frame;
        }
    }

    private void Compact()
    {
        if (_consumed == 0)
        {
            return;
        }

        var rest = _buffer.WrittenSpan[_consumed..].ToArray();
        _buffer.ResetWrittenCount();
        _buffer.Write(rest);
        _consumed = 0;
    }
}
