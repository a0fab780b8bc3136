namespace Keel.Sdk;

/// <summary>
/// A failure that must not be retried: the invocation completes with it (code, message, metadata),
/// and callers see it as a <see cref="TerminalException"/> too. Any other exception is retried.
/// </summary>
public class TerminalException : Exception
{
    public const ushort DefaultCode = 500;

    public TerminalException() : this("Terminal failure") { }

    public TerminalException(string message) : this(message, DefaultCode) { }

    public TerminalException(string message, Exception inner) : base(message, inner) => Code = DefaultCode;

    public TerminalException(string message, ushort code, IReadOnlyDictionary<string, string>? metadata = null) : base(message)
    {
        Code = code;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>HTTP-like status code; the ingress answers with it.</summary>
    public ushort Code { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();

    /// <summary>The code the runtime uses for a cancelled invocation.</summary>
    public const ushort CancelledCode = 409;
}
