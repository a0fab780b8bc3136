using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Notifications, suspension and resumption, completion, failures and retries, timers.</summary>
public sealed partial class StateMachine
{
    /// <summary>Appends a notification to the journal; pushes it to the running attempt or wakes a suspended one.</summary>
    private void Notify(ApplyContext c, InvocationRecord record, MessageType type, NotificationTemplate notification)
    {
        if (record.Phase == InvocationPhase.Completed)
        {
            return;
        }

        c.Tables.AppendJournal(record, type, notification.ToByteArray());
        c.Tables.PutInvocation(record);
        if (type == MessageType.CallCompletion)
        {
            c.Actions.Add(new PartitionAction.CallAnswered(record.Id, notification.CompletionId));
        }

        switch (record.Phase)
        {
            case InvocationPhase.Invoked:
                c.Actions.Add(new PartitionAction.Push(record.Id, record.Attempt, FrameEncoder.Encode(type, notification)));
                break;
            case InvocationPhase.Suspended when CanResume(c, record):
                StartAttempt(c, record);
                break;
        }
    }

    private void OnSendSignal(ApplyContext c, InvocationId target, SendSignalCommandMessage signal)
    {
        if (signal.SignalIdCase == SendSignalCommandMessage.SignalIdOneofCase.Idx && signal.Idx == 1)
        {
            Send(c, target, new RemoteOp.CancelInvocation(target.ToString()));
            return;
        }

        var notification = signal.SignalIdCase == SendSignalCommandMessage.SignalIdOneofCase.Idx
            ? new NotificationTemplate { SignalId = signal.Idx }
            : new NotificationTemplate { SignalName = signal.Name };
        switch (signal.ResultCase)
        {
            case SendSignalCommandMessage.ResultOneofCase.Value: notification.Value = signal.Value; break;
            case SendSignalCommandMessage.ResultOneofCase.Failure: notification.Failure = signal.Failure; break;
            default: notification.Void = new Unit(); break;
        }

        NotifyAnywhere(c, target.ToString(), MessageType.SignalNotification, notification);
    }

    /// <summary>Stores what the SDK waits on; resumes at once if what it waits for is already in the journal.</summary>
    private void OnSuspended(ApplyContext c, InvocationRecord record, InvokerEffect.Suspended suspended)
    {
        var completions = new List<uint>();
        var signals = new List<uint>();
        var names = new List<string>();
        if (record.ProtocolVersion >= 7)
        {
            var awaiting = SuspensionMessage.Parser.ParseFrom(suspended.Payload.Span).AwaitingOn;
            if (SuspensionCondition.IsEmpty(awaiting) || SuspensionCondition.IsTooDeep(awaiting!))
            {
                // Nothing could ever wake it (or too deep to evaluate): a protocol error, not a suspension.
                OnFailed(c, record, new AttemptFailure(571, SuspensionCondition.IsEmpty(awaiting)
                    ? "The SDK suspended without waiting on anything."
                    : $"The SDK suspended on a future nested deeper than {SuspensionCondition.MaxDepth} levels.",
                    Behavior: SuspensionCondition.IsEmpty(awaiting) ? FailureBehavior.Retry : FailureBehavior.Pause));
                return;
            }

            Flatten(awaiting, completions, signals, names);
            record.Awaiting = awaiting!.ToByteArray();
        }
        else
        {
            var v6 = SuspensionMessageV6.Parser.ParseFrom(suspended.Payload.Span);
            completions.AddRange(v6.WaitingCompletions);
            signals.AddRange(v6.WaitingSignals);
            names.AddRange(v6.WaitingNamedSignals);
        }

        record.WaitingCompletions = completions;
        record.WaitingSignals = signals;
        record.WaitingNamedSignals = names;
        record.ModifiedAt = c.Now;
        if (CanResume(c, record))
        {
            StartAttempt(c, record);
            return;
        }

        record.Phase = InvocationPhase.Suspended;
        c.Tables.PutInvocation(record);
    }

    private static void Flatten(Future? future, List<uint> completions, List<uint> signals, List<string> names)
    {
        if (future is null)
        {
            return;
        }

        completions.AddRange(future.WaitingCompletions);
        signals.AddRange(future.WaitingSignals);
        names.AddRange(future.WaitingNamedSignals);
        foreach (var nested in future.NestedFutures)
        {
            Flatten(nested, completions, signals, names);
        }
    }

    private void OnEnded(ApplyContext c, InvocationRecord record) =>
        Complete(c, record, record.PendingOutput ?? ResultRecord.Ok([]));

    /// <summary>Stores the result, answers the caller and waiters, releases the key, starts the next inboxed invocation.</summary>
    private void Complete(ApplyContext c, InvocationRecord record, ResultRecord result)
    {
        var journalLength = record.JournalLength;
        var (retention, journalRetention) = RetentionOf(c, record);
        record.Phase = InvocationPhase.Completed;
        record.Result = result;
        record.ModifiedAt = c.Now;
        record.CompletedAt = c.Now;
        record.NextRetryAt = null;
        record.RetainUntil = c.Now + retention;
        record.JournalLength = 0;
        record.CommandCount = 0;
        c.Tables.AddRetention(record.RetainUntil.Value, record.Id);
        if (journalRetention > TimeSpan.Zero)
        {
            // The journal stays readable (introspection) for its retention; cleanup deletes it then.
            record.KeptJournalLength = journalLength;
            record.JournalRetainUntil = c.Now + journalRetention;
            if (record.JournalRetainUntil != record.RetainUntil)
            {
                c.Tables.AddRetention(record.JournalRetainUntil.Value, record.Id);
            }
        }
        else
        {
            c.Tables.DeleteJournal(record.Id, journalLength);
        }

        c.Tables.PutInvocation(record);
        c.Actions.Add(new PartitionAction.Completed(record.Id, ToResult(result), record.Service, record.Handler, record.CreatedAt, record.Trace));

        var callers = record.AttachedCallers.ToList();
        if (record.CallerId is { } callerId && record.CallerCompletionId is { } completion)
        {
            callers.Insert(0, new CallerRef(callerId, completion));
        }

        foreach (var waiting in callers)
        {
            var type = waiting.NotificationType == 0 ? MessageType.CallCompletion : (MessageType)waiting.NotificationType;
            NotifyAnywhere(c, waiting.Id, type, ResultNotification(waiting.CompletionId, result));
        }

        record.AttachedCallers.Clear();
        if (record.IsExclusive && c.Tables.LockHolder(record.Service, record.Key!) == record.Id)
        {
            c.Tables.Unlock(record.Service, record.Key!);
            if (c.Tables.Dequeue(record.Service, record.Key!, after: record.InboxSequence) is { } next && c.Tables.GetInvocation(next) is { } nextRecord)
            {
                HandKeyTo(c, nextRecord);
            }
        }
    }

    /// <summary>
    /// How long a completed invocation stays reachable and how long its journal is kept: the
    /// handler's setting, else its service's (an operator's PATCH or the manifest), else the server
    /// default. A workflow's run is kept for its completion retention, an idempotent request for its
    /// idempotency retention; those cap the journal's. Other invocations stay as long as their journal
    /// does, and at least the server's default completion retention (attach and output by id).
    /// </summary>
    private (TimeSpan Retention, TimeSpan JournalRetention) RetentionOf(ApplyContext c, InvocationRecord record)
    {
        c.Schema.TryGetHandler(record.Service, record.Handler, out var service, out var handler);
        var journal = handler?.JournalRetention ?? service?.JournalRetention ?? options.DefaultJournalRetention;
        if (record.HandlerKind == Protocol.Manifest.HandlerType.Workflow)
        {
            var retention = handler?.WorkflowCompletionRetention ?? service?.WorkflowCompletionRetention ?? options.CompletionRetention;
            return (retention, Min(journal, retention));
        }

        if (record.IdempotencyKey is not null)
        {
            var retention = handler?.IdempotencyRetention ?? service?.IdempotencyRetention ?? options.CompletionRetention;
            return (retention, Min(journal, retention));
        }

        return (journal > options.CompletionRetention ? journal : options.CompletionRetention, journal);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Fail(ApplyContext c, InvocationRecord record, ushort code, string message) =>
        Complete(c, record, ResultRecord.Fail(code, message));

    /// <summary>
    /// A failed attempt: retried after the backoff of the handler's (else service's, else the
    /// server's) retry policy; at its maximum the invocation is paused or killed as the policy says.
    /// A delay the SDK asked for replaces the backoff and does not count as an attempt.
    /// </summary>
    private void OnFailed(ApplyContext c, InvocationRecord record, AttemptFailure failure)
    {
        c.Actions.Add(new PartitionAction.Abort(record.Id, record.Attempt));
        var info = new FailureInfo(failure.Code, failure.Message, record.Attempt, failure.RelatedCommandIndex, failure.RelatedCommandName, failure.RelatedCommandType, failure.Stacktrace);
        record.LastFailure = info;
        record.ModifiedAt = c.Now;
        var target = Target(record);
        if (failure.Behavior == FailureBehavior.Fail)
        {
            c.Actions.Add(new PartitionAction.AttemptFailed(record.Id, target, info, null, "failed: the SDK asked not to retry"));
            Fail(c, record, (ushort)failure.Code, failure.Message);
            return;
        }

        if (options.FailOnAttemptError && failure.Behavior != FailureBehavior.Pause)
        {
            // A test environment: the waiting caller gets the bug itself instead of a retry loop. A failed
            // ctx.RunAsync closure too (its retries come as a next retry delay): its default policy never gives up.
            record.FailedAttempts++;
            c.Actions.Add(new PartitionAction.AttemptFailed(record.Id, target, info, null, "failed: the server fails invocations on their first error (test environment)"));
            Fail(c, record, (ushort)Math.Min(failure.Code, ushort.MaxValue), WithStack(failure));
            return;
        }

        c.Schema.TryGetHandler(record.Service, record.Handler, out var service, out var handler);
        var policy = EffectiveRetryPolicy.Resolve(handler, service, options);
        record.RetryCountSinceLastStoredEntry++;
        if (failure.NextRetryDelay is null)
        {
            record.FailedAttempts++;
        }

        if (failure.Behavior == FailureBehavior.Pause || (failure.NextRetryDelay is null && policy.Exhausted(record.FailedAttempts)))
        {
            if (failure.Behavior != FailureBehavior.Pause && policy.OnMax == OnMaxAttempts.Kill)
            {
                c.Actions.Add(new PartitionAction.AttemptFailed(record.Id, target, info, null, $"killed after {record.FailedAttempts} attempts"));
                Fail(c, record, (ushort)Math.Min(failure.Code, ushort.MaxValue), failure.Message);
                return;
            }

            record.Phase = InvocationPhase.Paused;
            c.Tables.PutInvocation(record);
            c.Actions.Add(new PartitionAction.AttemptFailed(record.Id, target, info, null,
                failure.Behavior == FailureBehavior.Pause ? "paused: the SDK asked to pause" : $"paused after {record.FailedAttempts} attempts"));
            return;
        }

        var delay = failure.NextRetryDelay ?? policy.DelayAfter(record.FailedAttempts);
        record.Phase = InvocationPhase.BackingOff;
        record.NextRetryAt = c.Now + delay;
        c.Tables.PutInvocation(record);
        Schedule(c, c.Now + delay, record.Id, TimerKind.Retry);
        // What happens next, for the operator reading the log: how much of the policy is used up, and its end.
        var left = failure.NextRetryDelay is null && policy.MaxAttempts is { } max
            ? $" ({record.FailedAttempts} of {max} attempts failed; then {(policy.OnMax == OnMaxAttempts.Kill ? "killed" : "paused")})"
            : string.Empty;
        c.Actions.Add(new PartitionAction.AttemptFailed(record.Id, target, info, delay, "retrying" + left));
    }

    /// <summary>The error as a caller should read it: the message first (so it can be matched), then the SDK's exception text and stack.</summary>
    private static string WithStack(AttemptFailure failure) =>
        string.IsNullOrWhiteSpace(failure.Stacktrace) ? failure.Message : $"{failure.Message}\n{failure.Stacktrace}";

    private static string Target(InvocationRecord record) =>
        record.Key is null ? $"{record.Service}/{record.Handler}" : $"{record.Service}/{record.Key}/{record.Handler}";

    private void OnTimer(ApplyContext c, byte[] key)
    {
        if (!c.Tables.TakeTimer(key))
        {
            return;
        }

        var (_, id, kind, completionId) = Keys.ParseTimer(key);
        if (c.Tables.GetInvocation(id) is not { } record)
        {
            return;
        }

        switch (kind)
        {
            case TimerKind.Sleep:
                Notify(c, record, MessageType.SleepCompletion, new NotificationTemplate { CompletionId = completionId, Void = new Unit() });
                break;
            case TimerKind.Retry when record.Phase == InvocationPhase.BackingOff:
                StartAttempt(c, record);
                break;
            case TimerKind.Scheduled when record.Phase == InvocationPhase.Scheduled:
                Enter(c, record);
                break;
        }
    }

    private void OnCompleteAwakeable(ApplyContext c, PartitionCommand.CompleteAwakeable command)
    {
        var notification = new NotificationTemplate { SignalId = command.Awakeable.SignalIndex };
        switch (command.Result)
        {
            case InvocationResult.Success s: notification.Value = new Value { Content = ByteString.CopyFrom(s.Value.Span) }; break;
            case InvocationResult.Failure f: notification.Failure = new Failure { Code = f.Code, Message = f.Message }; break;
        }

        NotifyAnywhere(c, command.Awakeable.InvocationId.ToString(), MessageType.SignalNotification, notification);
        c.Actions.Add(new PartitionAction.Reply(command.Reply, true));
    }
}
