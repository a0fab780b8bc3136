namespace Keel.Sdk;

/// <summary>
/// A failure that must not be retried: the invocation completes with it (code, message, metadata),
/// and callers see it as a <see cref="TerminalException"/> too. Any other exception is retried.
/// </summary>
public class TerminalException : Exception
{
    /// <summary>The code when none is given: 500.</summary>
    public const ushort DefaultCode = 500;

    /// <summary>A terminal failure with code 500 and a generic message.</summary>
    public TerminalException() : this("Terminal failure") { }

    /// <summary>A terminal failure with code 500.</summary>
    public TerminalException(string message) : this(message, DefaultCode) { }

    /// <summary>A terminal failure with code 500, keeping the exception that caused it.</summary>
    public TerminalException(string message, Exception inner) : base(message, inner) => Code = DefaultCode;

    /// <summary>A terminal failure with a code and metadata, keeping the exception that caused it.</summary>
    public TerminalException(string message, Exception inner, ushort code, IReadOnlyDictionary<string, string>? metadata = null) : base(message, inner)
    {
        Code = code;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>A terminal failure with a code (the ingress answers with it) and optional metadata.</summary>
    public TerminalException(string message, ushort code, IReadOnlyDictionary<string, string>? metadata = null) : base(message)
    {
        Code = code;
        Metadata = metadata ?? new Dictionary<string, string>();
    }

    /// <summary>HTTP-like status code; the ingress answers with it.</summary>
    public ushort Code { get; }

    /// <summary>Key/value details carried with the failure to the caller.</summary>
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
    /// <summary>A cancellation with the message "cancelled".</summary>
    public CancelledException() : this("cancelled") { }

    /// <summary>A cancellation with a message of its own.</summary>
    public CancelledException(string message) : base(message, CancelledCode) { }

    /// <summary>A cancellation with a message, keeping the exception that caused it.</summary>
    public CancelledException(string message, Exception inner) : base(message, inner, CancelledCode) { }
}

/// <summary>
/// A durable timeout (<see cref="DurableFuture.OrTimeout"/>): the timer won the race. It is a
/// <see cref="TerminalException"/> with code 408 — the decision is journaled, so retrying would replay
/// the same timeout; catch it to take another path.
/// </summary>
public sealed class DurableTimeoutException : TerminalException
{
    /// <summary>The code of a durable timeout: 408.</summary>
    public const ushort TimeoutCode = 408;

    /// <summary>A timeout with a generic message.</summary>
    public DurableTimeoutException() : this("Timed out") { }

    /// <summary>A timeout whose message names the duration that elapsed.</summary>
    public DurableTimeoutException(TimeSpan timeout) : this($"Timed out after {timeout}.") { }

    /// <summary>A timeout with a message of its own.</summary>
    public DurableTimeoutException(string message) : base(message, TimeoutCode) { }

    /// <summary>A timeout with a message, keeping the exception that caused it.</summary>
    public DurableTimeoutException(string message, Exception inner) : base(message, inner, TimeoutCode) { }
}
