using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>Cancel and kill: how an operator (or another handler) unblocks a deadlock. Both work on paused invocations too.</summary>
public sealed partial class StateMachine
{
    private void OnCancel(ApplyContext c, PartitionCommand.Cancel cancel) =>
        c.Actions.Add(new PartitionAction.Reply(cancel.Reply, new ControlResult(Cancel(c, cancel.Id))));

    private void OnKill(ApplyContext c, PartitionCommand.Kill kill) =>
        c.Actions.Add(new PartitionAction.Reply(kill.Reply, new ControlResult(Kill(c, kill.Id))));

    /// <summary>
    /// Not started yet → ends at once with 409. Running or suspended → the CANCEL signal is appended;
    /// the SDK cancels its child calls and surfaces a 409 to the handler, which may compensate.
    /// </summary>
    private ControlStatus Cancel(ApplyContext c, InvocationId id)
    {
        if (c.Tables.GetInvocation(id) is not { } record)
        {
            return ControlStatus.NotFound;
        }

        switch (record.Phase)
        {
            case InvocationPhase.Completed:
                return ControlStatus.AlreadyCompleted;
            case InvocationPhase.Inboxed or InvocationPhase.Scheduled:
                if (record.Phase == InvocationPhase.Inboxed)
                {
                    c.Tables.RemoveFromInbox(record.Service, record.Key!, record.InboxSequence);
                }

                Fail(c, record, 409, "canceled");
                return ControlStatus.Done;
            default:
                Notify(c, record, MessageType.SignalNotification, new NotificationTemplate { SignalId = 1, Void = new Unit() });
                if (record.Phase is InvocationPhase.Paused or InvocationPhase.BackingOff)
                {
                    // Nothing would run the handler to see the cancellation: run it now.
                    record.FailedAttempts = 0;
                    StartAttempt(c, record);
                }

                return ControlStatus.Appended;
        }
    }

    /// <summary>Ends the invocation and its pending child calls at once, without running user code, releasing their locks.</summary>
    private ControlStatus Kill(ApplyContext c, InvocationId id)
    {
        if (c.Tables.GetInvocation(id) is not { } record)
        {
            return ControlStatus.NotFound;
        }

        if (record.Phase == InvocationPhase.Completed)
        {
            return ControlStatus.AlreadyCompleted;
        }

        var children = PendingChildCalls(c, id);
        if (record.Phase == InvocationPhase.Invoked)
        {
            c.Actions.Add(new PartitionAction.Abort(id, record.Attempt));
        }

        if (record.Phase == InvocationPhase.Inboxed)
        {
            c.Tables.RemoveFromInbox(record.Service, record.Key!, record.InboxSequence);
        }

        Fail(c, record, 409, "killed");
        foreach (var child in children)
        {
            Send(c, child, new RemoteOp.KillInvocation(child.ToString()));
        }

        return ControlStatus.Done;
    }

    private void OnFailDeadlocked(ApplyContext c, PartitionCommand.FailDeadlocked deadlocked) =>
        c.Actions.Add(new PartitionAction.Reply(deadlocked.Reply, new ControlResult(FailDeadlocked(c, deadlocked.Id, deadlocked.Message))));

    /// <summary>
    /// Breaks a deadlock under the <c>fail</c> policy: the member queued on its key's lock ends with a terminal 409,
    /// and its caller receives that failure through the ordinary completion path, as from a callee that failed. Only
    /// a queued invocation is failed: it has run no user code, so nothing of it is lost, and its key's queue keeps no
    /// ghost. If it is no longer queued when this is applied (the cycle was broken meanwhile, e.g. cancelled, and the
    /// key passed to it), nothing happens: this never aborts a running handler.
    /// </summary>
    private ControlStatus FailDeadlocked(ApplyContext c, InvocationId id, string message)
    {
        if (c.Tables.GetInvocation(id) is not { Phase: InvocationPhase.Inboxed } record)
        {
            // Unknown, or not queued any more (running, completed): nothing to fail.
            return ControlStatus.NotFound;
        }

        c.Tables.RemoveFromInbox(record.Service, record.Key!, record.InboxSequence);
        Fail(c, record, 409, message);
        return ControlStatus.Done;
    }

    /// <summary>Child calls whose invocation id is known but whose result is not yet in the journal.</summary>
    private static List<InvocationId> PendingChildCalls(ApplyContext c, InvocationId id)
    {
        var resultIdByIdNotification = new Dictionary<uint, uint>();
        var childByIdNotification = new Dictionary<uint, string>();
        var completed = new HashSet<uint>();
        foreach (var entry in c.Tables.ReadJournal(id))
        {
            switch (entry.Type)
            {
                case MessageType.CallCommand:
                    var call = CallCommandMessage.Parser.ParseFrom(entry.Payload.Span);
                    resultIdByIdNotification[call.InvocationIdNotificationIdx] = call.ResultCompletionId;
                    break;
                case MessageType.CallInvocationIdCompletion:
                    var n = NotificationTemplate.Parser.ParseFrom(entry.Payload.Span);
                    childByIdNotification[n.CompletionId] = n.InvocationId;
                    break;
                case MessageType.CallCompletion:
                    completed.Add(NotificationTemplate.Parser.ParseFrom(entry.Payload.Span).CompletionId);
                    break;
            }
        }

        return childByIdNotification
            .Where(kv => resultIdByIdNotification.TryGetValue(kv.Key, out var result) && !completed.Contains(result))
            .Select(kv => InvocationId.Parse(kv.Value))
            .ToList();
    }
}
