using Microsoft.Extensions.Logging;

namespace Keel.Sdk.Internal;

/// <summary>
/// What the SDK itself logs about an invocation. Never while replaying: each line describes work
/// this attempt did, so a failure shows up once per attempt.
/// </summary>
internal static partial class SdkLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "Invocation {InvocationId} ({Target}) attempt {Attempt} failed; the runtime retries it")]
    public static partial void AttemptFailed(ILogger logger, Exception exception, string invocationId, string target, uint attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Invocation {InvocationId} ({Target}) failed terminally with code {Code}: {Reason}")]
    public static partial void TerminalFailure(ILogger logger, Exception exception, string invocationId, string target, int code, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Run '{Run}' of invocation {InvocationId} ({Target}) failed on attempt {Attempt}; retrying in {Delay}")]
    public static partial void RunRetry(ILogger logger, Exception exception, string run, string invocationId, string target, uint attempt, TimeSpan delay);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning,
        Message = "Run '{Run}' of invocation {InvocationId} ({Target}) failed on attempt {Attempt} and has no retries left: it fails terminally")]
    public static partial void RunExhausted(ILogger logger, Exception exception, string run, string invocationId, string target, uint attempt);
}
