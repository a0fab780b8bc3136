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
        var id = InvocationId.Parse(record.Id);
        switch (record.Phase)
        {
            case InvocationPhase.Invoked:
                c.Actions.Add(new PartitionAction.Push(id, record.Attempt, FrameEncoder.Encode(type, notification)));
                break;
            case InvocationPhase.Suspended when Awaits(record, notification):
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

    private static bool Awaits(InvocationRecord record, NotificationTemplate n) => n.IdCase switch
    {
        NotificationTemplate.IdOneofCase.CompletionId => record.WaitingCompletions.Contains(n.CompletionId),
        NotificationTemplate.IdOneofCase.SignalId => record.WaitingSignals.Contains(n.SignalId),
        NotificationTemplate.IdOneofCase.SignalName => record.WaitingNamedSignals.Contains(n.SignalName),
        _ => false,
    };

    /// <summary>
    /// Stores what the SDK waits on. Resumes at once if one of them is already in the journal. The
    /// V7 tree is treated as "any of its leaves": resuming early is safe, the SDK suspends again if
    /// its combinator is not satisfied yet.
    /// </summary>
    private void OnSuspended(ApplyContext c, InvocationRecord record, InvokerEffect.Suspended suspended)
    {
        var completions = new List<uint>();
        var signals = new List<uint>();
        var names = new List<string>();
        if (record.ProtocolVersion >= 7)
        {
            Flatten(SuspensionMessage.Parser.ParseFrom(suspended.Payload.Span).AwaitingOn, completions, signals, names);
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
        var id = InvocationId.Parse(record.Id);
        var alreadyThere = c.Tables.ReadJournal(id)
            .Where(e => e.Type.IsNotification())
            .Any(e => Awaits(record, NotificationTemplate.Parser.ParseFrom(e.Payload.Span)));
        if (alreadyThere)
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
        var id = InvocationId.Parse(record.Id);
        record.Phase = InvocationPhase.Completed;
        record.Result = result;
        record.RetainUntil = c.Now + options.CompletionRetention;
        c.Tables.PutInvocation(record);
        c.Tables.DeleteJournal(id);
        c.Actions.Add(new PartitionAction.Completed(id, ToResult(result)));

        var callers = record.AttachedCallers.ToList();
        if (record.CallerId is { } callerId && record.CallerCompletionId is { } completion)
        {
            callers.Insert(0, new CallerRef(callerId, completion));
        }

        foreach (var waiting in callers)
        {
            NotifyAnywhere(c, waiting.Id, MessageType.CallCompletion, ResultNotification(waiting.CompletionId, result));
        }

        if (record.IsExclusive && c.Tables.LockHolder(record.Service, record.Key!) == record.Id)
        {
            c.Tables.Unlock(record.Service, record.Key!);
            if (c.Tables.Dequeue(record.Service, record.Key!) is { } next && Load(c, next) is { } nextRecord)
            {
                Enter(c, nextRecord);
            }
        }
    }

    private void Fail(ApplyContext c, InvocationRecord record, ushort code, string message) =>
        Complete(c, record, ResultRecord.Fail(code, message));

    private void OnFailed(ApplyContext c, InvocationRecord record, AttemptFailure failure)
    {
        var id = InvocationId.Parse(record.Id);
        c.Actions.Add(new PartitionAction.Abort(id, record.Attempt));
        record.LastFailure = $"[{failure.Code}] {failure.Message}";
        if (failure.Behavior == FailureBehavior.Fail)
        {
            Fail(c, record, (ushort)failure.Code, failure.Message);
            return;
        }

        record.FailedAttempts++;
        record.RetryCountSinceLastStoredEntry++;
        if (failure.Behavior == FailureBehavior.Pause || record.FailedAttempts >= options.RetryMaxAttempts)
        {
            record.Phase = InvocationPhase.Paused;
            c.Tables.PutInvocation(record);
            return;
        }

        var delay = failure.NextRetryDelay ?? RetryDelay(record.FailedAttempts);
        record.Phase = InvocationPhase.BackingOff;
        c.Tables.PutInvocation(record);
        Schedule(c, c.Now + delay, id, TimerKind.Retry);
    }

    /// <summary>Exponential backoff: initial × factor^(n-1), capped.</summary>
    private TimeSpan RetryDelay(int failedAttempts)
    {
        var delay = options.RetryInitialInterval * Math.Pow(options.RetryFactor, failedAttempts - 1);
        return delay > options.RetryMaxInterval ? options.RetryMaxInterval : delay;
    }

    private void OnTimer(ApplyContext c, byte[] key)
    {
        if (!c.Tables.TakeTimer(key))
        {
            return;
        }

        var (_, id, kind, completionId) = Keys.ParseTimer(key);
        if (Load(c, id) is not { } record)
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
