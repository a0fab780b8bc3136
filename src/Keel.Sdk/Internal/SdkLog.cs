using Microsoft.Extensions.Logging;

namespace Keel.Sdk.Internal;

/// <summary>
/// What the SDK itself logs about an invocation. Never while replaying: each line describes work
/// this attempt did, so a failure shows up once per attempt.
/// </summary>
internal static partial class SdkLog
{
    // The endpoint cannot know the invocation's retry policy (the runtime applies it), so the hint says
    // what the runtime does with it and where to look, not how many attempts are left.
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Invocation {InvocationId} ({Target}) attempt {Attempt} failed; the runtime retries it after a backoff until its retry policy's attempts are used up, then pauses it (keel invocations describe shows its last failure)")]
    public static partial void AttemptFailed(ILogger logger, Exception exception, string invocationId, string target, uint attempt);

    // A TerminalException is how a handler answers with an error on purpose: an outcome, not a fault, so
    // it is logged once, at Information and without a stack (the caller receives code and message).
    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Invocation {InvocationId} ({Target}) ended with a terminal error, code {Code}: {Reason} (not retried; the caller receives it)")]
    public static partial void TerminalFailure(ILogger logger, string invocationId, string target, int code, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Run '{Run}' of invocation {InvocationId} ({Target}) failed on attempt {Attempt}; retrying in {Delay}")]
    public static partial void RunRetry(ILogger logger, Exception exception, string run, string invocationId, string target, uint attempt, TimeSpan delay);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Run '{Run}' of invocation {InvocationId} ({Target}) failed on attempt {Attempt} and has no retries left: it fails terminally")]
    public static partial void RunExhausted(ILogger logger, Exception exception, string run, string invocationId, string target, uint attempt);
}
