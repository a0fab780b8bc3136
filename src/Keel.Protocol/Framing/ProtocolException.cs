namespace Keel.Protocol.Framing;

/// <summary>The peer sent bytes that break the framing or message rules.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>A protocol violation, described.</summary>
    public ProtocolException(string message) : base(message) { }

    /// <summary>A protocol violation, keeping the exception that revealed it.</summary>
    public ProtocolException(string message, Exception inner) : base(message, inner) { }

    /// <summary>A protocol violation without details.</summary>
    public ProtocolException() { }
}
