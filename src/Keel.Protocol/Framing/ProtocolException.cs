namespace Keel.Protocol.Framing;

/// <summary>The peer sent bytes that break the framing or message rules.</summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException(string message) : base(message) { }

    public ProtocolException(string message, Exception inner) : base(message, inner) { }

    public ProtocolException() { }
}
