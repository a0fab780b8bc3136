using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// Rebuilding the wait-for graph (Deadlocks/WaitForGraph) after a start or a take-over. The graph lives in memory
/// and is fed live by the actions waits produce; what stood before the restart is found again from what is
/// waiting now, never from the status table: the partition's lock table (every key held), its inbox table (every
/// invocation queued), and from each holder its calls not answered yet, followed to the callees. Any deadlock has a
/// key's lock on it (a call always starts a new invocation, so calls alone cannot close a cycle; an idempotent call
/// attaching to a running one is the exception), so a cycle standing before the restart is reported again, and one
/// closed later by a new wait finds the older waits it needs.
/// </summary>
public sealed partial class StateMachine
{
    // Callees followed from one holder at most this deep: chains through keyless handlers end (a cycle among them
    // needs an idempotent call attaching to a running invocation), this only bounds such a loop.
    private const int MaxRebuildHops = 32;

    private static void OnRebuildWaitsFrom(ApplyContext c, PartitionCommand.RebuildWaitsFrom step)
    {
        var page = c.Tables.ObjectEntries(step.Table, step.After, step.Limit + 1);
        foreach (var (id, _) in page.Take(step.Limit))
        {
            c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.RebuildWaits(id)));
        }

        if (page.Count > step.Limit)
        {
            c.Actions.Add(new PartitionAction.FollowUp(step with { After = page[step.Limit - 1].EntryKey }));
        }
    }

    private void OnRebuildWaits(ApplyContext c, PartitionCommand.RebuildWaits rebuild)
    {
        if (c.Tables.GetInvocation(rebuild.Id) is not { } record || record.Phase is InvocationPhase.Completed or InvocationPhase.Scheduled)
        {
            return;
        }

        if (record.Phase == InvocationPhase.Inboxed)
        {
            // Queued: it has not run, so it has made no call.
            c.Actions.Add(new PartitionAction.Inboxed(record.Id, Target(record), record.Service, record.Key!));
            return;
        }

        var holdsKey = record.IsExclusive && c.Tables.LockHolder(record.Service, record.Key!) == record.Id;
        if (holdsKey)
        {
            c.Actions.Add(new PartitionAction.KeyTaken(record.Id, Target(record), record.Service, record.Key!));
        }

        foreach (var (completionId, callee, call) in UnansweredCalls(c, record.Id))
        {
            c.Actions.Add(new PartitionAction.CallAwaited(record.Id, Target(record), completionId, callee.ToString(), CallTarget(c, call)));
            if (rebuild.Hops < MaxRebuildHops)
            {
                // A callee holding its key is rebuilt from its own partition's lock table; the others only from here.
                var next = new PartitionCommand.RebuildWaits(callee, rebuild.Hops + 1);
                var owner = _map.PartitionOf(callee.PartitionKey);
                c.Actions.Add(owner == c.Tables.Partition ? new PartitionAction.FollowUp(next) : new PartitionAction.Route(owner, next));
            }
        }
    }

    /// <summary>The invocation's calls whose result is not in its journal yet: the result's completion id, the callee, the call.</summary>
    private static List<(uint CompletionId, InvocationId Callee, CallCommandMessage Call)> UnansweredCalls(ApplyContext c, InvocationId id)
    {
        var callByIdNotification = new Dictionary<uint, CallCommandMessage>();
        var calleeByIdNotification = new Dictionary<uint, string>();
        var answered = new HashSet<uint>();
        foreach (var entry in c.Tables.ReadJournal(id))
        {
            switch (entry.Type)
            {
                case MessageType.CallCommand:
                    var call = CallCommandMessage.Parser.ParseFrom(entry.Payload.Span);
                    callByIdNotification[call.InvocationIdNotificationIdx] = call;
                    break;
                case MessageType.CallInvocationIdCompletion:
                    var named = NotificationTemplate.Parser.ParseFrom(entry.Payload.Span);
                    calleeByIdNotification[named.CompletionId] = named.InvocationId;
                    break;
                case MessageType.CallCompletion:
                    answered.Add(NotificationTemplate.Parser.ParseFrom(entry.Payload.Span).CompletionId);
                    break;
            }
        }

        var unanswered = new List<(uint, InvocationId, CallCommandMessage)>();
        foreach (var (notification, call) in callByIdNotification)
        {
            if (!answered.Contains(call.ResultCompletionId)
                && calleeByIdNotification.TryGetValue(notification, out var callee)
                && InvocationId.TryParse(callee, out var calleeId))
            {
                unanswered.Add((call.ResultCompletionId, calleeId, call));
            }
        }

        return unanswered;
    }
}
