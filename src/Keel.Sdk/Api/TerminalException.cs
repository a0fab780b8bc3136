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

    public TerminalException(string message, Exception inner, ushort code, IReadOnlyDictionary<string, string>? metadata = null) : base(message, inner)
    {
        Code = code;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

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

/// <summary>
/// The invocation was cancelled (the runtime's CANCEL signal): thrown by the await that sees it,
/// with code <see cref="TerminalException.CancelledCode"/> (409). Catch it to compensate; rethrow (or
/// let it propagate) to end the invocation as cancelled. An application's own 409 stays a plain
/// <see cref="TerminalException"/>, so <c>catch (CancelledException)</c> tells the two apart.
/// </summary>
public sealed class CancelledException : TerminalException
{
    public CancelledException() : this("cancelled") { }

    public CancelledException(string message) : base(message, CancelledCode) { }

    public CancelledException(string message, Exception inner) : base(message, inner, CancelledCode) { }
}

/// <summary>
/// A durable timeout (<see cref="DurableFuture.OrTimeout"/>): the timer won the race. It is a
/// <see cref="TerminalException"/> with code 408 — the decision is journaled, so retrying would replay
/// the same timeout; catch it to take another path.
/// </summary>
public sealed class DurableTimeoutException : TerminalException
{
    public const ushort TimeoutCode = 408;

    public DurableTimeoutException() : this("Timed out") { }

    public DurableTimeoutException(TimeSpan timeout) : this($"Timed out after {timeout}.") { }

    public DurableTimeoutException(string message) : base(message, TimeoutCode) { }

    public DurableTimeoutException(string message, Exception inner) : base(message, inner, TimeoutCode) { }
}
