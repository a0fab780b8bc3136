using Keel.Protocol.Ids;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Partitions;

/// <summary>
/// Logs failed attempts for operators: the first few of each invocation, then at most one a minute
/// per invocation (with how many were left out), so a retry loop is visible without flooding the log.
/// </summary>
internal sealed partial class FailureLog(ILogger logger, TimeProvider time)
{
    private const int AlwaysLogged = 3;
    private const int MaxTracked = 10_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly Dictionary<InvocationId, (DateTimeOffset LastLogged, int Suppressed)> _seen = [];
    private readonly Lock _gate = new();

    public void Report(PartitionAction.AttemptFailed failed)
    {
        int suppressed;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_seen.TryGetValue(failed.Id, out var seen) && failed.Failure.Attempt > AlwaysLogged && now - seen.LastLogged < Interval)
            {
                _seen[failed.Id] = seen with { Suppressed = seen.Suppressed + 1 };
                return;
            }

            if (_seen.Count >= MaxTracked)
            {
                _seen.Clear();
            }

            suppressed = seen.Suppressed;
            _seen[failed.Id] = (now, 0);
        }

        var f = failed.Failure;
        var related = f.RelatedCommandIndex is { } index
            ? $"command {index}{(f.RelatedCommandName is { } name ? $" '{name}'" : string.Empty)}{(f.RelatedCommandType is { } type ? $" (type 0x{type:x4})" : string.Empty)}"
            : "none";
        var next = failed.RetryIn is { } delay ? $"{failed.Outcome}, next attempt in {delay.TotalMilliseconds:F0} ms" : failed.Outcome;
        using var scope = Telemetry.InvocationLogScope.Begin(logger, failed.Id.ToString());
        LogAttemptFailed(logger, failed.Id.ToString(), failed.Target, f.Attempt, f.Code, f.Message, related, next, suppressed);
    }

    public void Forget(InvocationId id)
    {
        lock (_gate)
        {
            _seen.Remove(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Invocation {InvocationId} ({Target}) attempt {Attempt} failed: [{Code}] {Error}; related entry: {Related}; {Next} ({Suppressed} similar failures not logged)")]
    private static partial void LogAttemptFailed(ILogger logger, string invocationId, string target, int attempt, uint code, string error, string related, string next, int suppressed);
}
