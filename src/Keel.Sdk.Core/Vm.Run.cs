using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>ctx.run: journal the Run command, let the SDK execute the closure once, propose its result.</summary>
public sealed partial class Vm
{
    private readonly Dictionary<uint, RunInfo> _runs = [];

    private sealed class RunInfo(string name, uint commandIndex, bool replayed)
    {
        public string Name { get; } = name;

        public uint CommandIndex { get; } = commandIndex;

        /// <summary>The Run command came from the journal (an earlier attempt started it).</summary>
        public bool Replayed { get; } = replayed;

        public RunPhase Phase { get; set; }

        /// <summary>V7: the proposed result, made visible when the runtime acknowledges it.</summary>
        public NotificationResult? AwaitingAck { get; set; }
    }

    private enum RunPhase
    {
        NotStarted,
        Executing,
        Proposed,
    }

    public NotificationHandle SysRun(string name)
    {
        var completionId = NextCompletionId();
        var commandIndex = _nextCommandIndex;
        var replayed = Journal(new RunCommandMessage { ResultCompletionId = completionId, Name = name }, name);
        _runs[completionId] = new RunInfo(name, commandIndex, replayed is not null);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public void ProposeRunCompletion(NotificationHandle handle, CompletionValue result)
    {
        ThrowIfFailed();
        var (completionId, run) = RunOf(handle);
        var message = new ProposeRunCompletionMessage { ResultCompletionId = completionId };
        NotificationResult local;
        switch (result)
        {
            case CompletionValue.Success s:
                message.Value = ByteString.CopyFrom(s.Value.Span);
                local = new NotificationResult.Success(s.Value.ToArray());
                break;
            case CompletionValue.Failure f:
                message.Failure = FailureConversions.ToProto(f.Error);
                local = new NotificationResult.Failure(f.Error);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(result));
        }

        // V7 asks for an ack and the runtime answers with ProposeRunCompletionAck instead of echoing
        // the notification; V5/V6 runtimes echo RunCompletion.
        var wantsAck = Version >= ServiceProtocolVersion.V7;
        Write(message, requestedAck: wantsAck);
        run.Phase = RunPhase.Proposed;
        run.AwaitingAck = wantsAck ? local : null;
    }

    public TimeSpan? ProposeRunRetryableFailure(NotificationHandle handle, string message, string? stacktrace, TimeSpan attemptDuration, RunRetryPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ThrowIfFailed();
        var (_, run) = RunOf(handle);

        // An earlier attempt already journaled this run: the runtime's counters since the last stored
        // entry tell how many times it has failed so far.
        var previousAttempts = run.Replayed ? Start.RetryCountSinceLastStoredEntry : 0u;
        var elapsed = attemptDuration + (run.Replayed ? TimeSpan.FromMilliseconds(Start.DurationSinceLastStoredEntry) : TimeSpan.Zero);
        var attempts = previousAttempts + 1;
        var exhausted = (policy.MaxAttempts is { } max && attempts >= max) || (policy.MaxDuration is { } maxDuration && elapsed >= maxDuration);
        if (exhausted)
        {
            ProposeRunCompletion(handle, new CompletionValue.Failure(new TerminalFailure(500,
                $"Run '{run.Name}' failed after {attempts} attempt(s): {message}")));
            return null;
        }

        var delay = policy.InitialDelay * Math.Pow(policy.Factor, previousAttempts);
        if (policy.MaxDelay is { } maxDelay && delay > maxDelay)
        {
            delay = maxDelay;
        }

        var error = new ErrorMessage
        {
            Code = 500,
            Message = message,
            Stacktrace = stacktrace ?? string.Empty,
            RelatedCommandIndex = run.CommandIndex,
            RelatedCommandType = (uint)MessageType.RunCommand,
            NextRetryDelay = (ulong)Math.Max(0, delay.TotalMilliseconds),
        };
        if (run.Name.Length > 0)
        {
            error.RelatedCommandName = run.Name;
        }

        run.Phase = RunPhase.Proposed;
        WriteFinal(error);
        return delay;
    }

    private void OnRunAck(uint completionId)
    {
        if (!_runs.TryGetValue(completionId, out var run) || run.AwaitingAck is not { } result)
        {
            throw Fail(571, $"ProposeRunCompletionAck for unknown run completion {completionId}.");
        }

        run.AwaitingAck = null;

        // The ack takes the place of the RunCompletion notification in the journal order.
        _notifications.Enqueue(NotificationId.Completion(completionId), result);
    }

    private (uint CompletionId, RunInfo Run) RunOf(NotificationHandle handle)
    {
        var id = IdOf(handle);
        return id.Kind == NotificationIdKind.Completion && _runs.TryGetValue(id.Index, out var run)
            ? (id.Index, run)
            : throw new ArgumentException("The handle is not a run.", nameof(handle));
    }

    /// <summary>A run in the awaited tree that must be executed now, if any.</summary>
    private NotificationHandle? RunToExecute(UnresolvedFuture future)
    {
        foreach (var handle in Leaves(future))
        {
            var id = IdOf(handle);
            if (id.Kind == NotificationIdKind.Completion && _runs.TryGetValue(id.Index, out var run)
                && run.Phase == RunPhase.NotStarted && !_notifications.Contains(id))
            {
                run.Phase = RunPhase.Executing;
                return handle;
            }
        }

        return null;
    }

    private bool AnyRunExecuting => _runs.Values.Any(r => r.Phase == RunPhase.Executing);
}
