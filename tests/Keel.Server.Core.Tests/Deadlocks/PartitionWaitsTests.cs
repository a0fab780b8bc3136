using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Core.Tests.Partitions;
using Keel.Server.Deadlocks;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Deadlocks;

/// <summary>
/// The waits a partition tells after commit, fed into a <see cref="WaitForGraph"/> as the processor does: an
/// object calling its own key deadlocks, a call to a shared handler or to a service never queues for a lock, and a
/// kill breaks the cycle.
/// </summary>
public sealed class PartitionWaitsTests
{
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
    private readonly WaitForGraph _graph = new(TimeProvider.System);

    [Fact]
    public void An_exclusive_handler_calling_its_own_key_is_a_deadlock_until_killed()
    {
        var root = Submit("Counter", "add", "k");
        var actions = Effect(root, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 });
        Assert.Empty(actions.OfType<PartitionAction.Invoke>());
        var queued = Assert.Single(actions.OfType<PartitionAction.Inboxed>());

        var cycle = Assert.Single(_graph.Cycles);
        // The child is created (and queued) in the same batch, before the call's wait is told: the call closes the cycle.
        Assert.Equal([(root.Id.ToString(), "Counter/k/add", WaitReason.Call), (queued.Id.ToString(), "Counter/k/add", WaitReason.Lock)],
            cycle.Members.Select(m => (m.Id, m.Target, m.WaitsBy)));

        Feed(_h.Actions(new PartitionCommand.Kill(root.Id, new object())));

        Assert.Empty(_graph.Cycles);
    }

    [Fact]
    public void The_fail_policy_fails_the_queued_member_whose_caller_gets_the_409_and_never_a_running_one()
    {
        var root = Submit("Counter", "add", "k");
        var queued = Assert.Single(Effect(root, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 })
            .OfType<PartitionAction.Inboxed>());
        var message = DeadlockBreaker.Message(Assert.Single(_graph.Cycles));
        Assert.StartsWith("deadlock: Counter/k/add (" + root.Id, message, StringComparison.Ordinal);

        // The running member (the root) is never failed by it: nothing changes.
        var running = _h.Actions(new PartitionCommand.FailDeadlocked(root.Id, message, new object()));
        Assert.Equal(ControlStatus.NotFound, ((ControlResult)Assert.Single(running.OfType<PartitionAction.Reply>()).Value).Status);
        Assert.Empty(running.OfType<PartitionAction.Completed>());
        Assert.Equal(InvocationPhase.Invoked, _h.Record(root.Id)!.Phase);

        // The queued one ends with 409 and leaves the key's queue; the root's call is answered with that failure.
        var failed = _h.Apply(new PartitionCommand.FailDeadlocked(queued.Id, message, new object()));
        Feed(failed.Actions);
        var completed = Assert.Single(failed.Actions.OfType<PartitionAction.Completed>());
        Assert.Equal((queued.Id, new InvocationResult.Failure(409, message)), (completed.Id, completed.Result));
        var answer = PartitionHarness.Pushed(failed, MessageType.CallCompletion);
        Assert.Equal((2u, 409u, message), (answer.CompletionId, answer.Failure.Code, answer.Failure.Message));
        Assert.Equal(0, _h.Count(Table.Inbox));
        Assert.Empty(_graph.Cycles);

        // Applied again (the member completed meanwhile): nothing.
        Assert.Empty(_h.Actions(new PartitionCommand.FailDeadlocked(queued.Id, message, new object())).OfType<PartitionAction.Completed>());
    }

    [Fact]
    public void Calls_to_a_shared_handler_of_the_own_key_and_to_a_service_take_no_lock()
    {
        var root = Submit("Counter", "add", "k");
        var shared = Effect(root, new CallCommandMessage { ServiceName = "Counter", HandlerName = "get", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 });
        var service = Effect(root, new CallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvocationIdNotificationIdx = 3, ResultCompletionId = 4 });

        foreach (var started in new[] { shared, service })
        {
            Assert.Single(started.OfType<PartitionAction.Invoke>());
            Assert.Empty(started.OfType<PartitionAction.Inboxed>());
            Assert.Empty(started.OfType<PartitionAction.KeyTaken>());
        }

        Assert.Equal(["Counter/k/get", "Greeter/greet"], shared.Concat(service).OfType<PartitionAction.CallAwaited>().Select(c => c.CalleeTarget));
        Assert.Empty(_graph.Cycles);
    }

    [Fact]
    public void After_a_restart_the_waits_standing_in_the_store_are_told_again_and_close_the_same_cycle()
    {
        // Counter/k → Greeter/greet (a service: no key) → Counter/k, queued behind the first.
        var root = Submit("Counter", "add", "k");
        var greeter = Effect(root, new CallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 })
            .OfType<PartitionAction.Invoke>().Single().Request;
        Effect(greeter, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 });
        var before = Assert.Single(_graph.Cycles);
        Assert.Equal(3, before.Members.Count);

        // A new process: an empty graph, and the partition's start (Recover) with the follow-ups it queues.
        var rebuilt = new WaitForGraph(TimeProvider.System);
        var told = Start(rebuilt);

        var after = Assert.Single(rebuilt.Cycles);
        Assert.Equal(before.Members.OrderBy(m => m.Id), after.Members.OrderBy(m => m.Id));
        // Read from what waits (the lock and inbox tables, then the holder's calls, followed), one command each.
        Assert.Contains(told, c => c is PartitionCommand.RebuildWaitsFrom { Table: Table.Locks });
        Assert.Equal(after.Members.Select(m => m.Id).Order(), told.OfType<PartitionCommand.RebuildWaits>().Select(r => r.Id.ToString()).Distinct().Order());

        // Broken before the next start: nothing is told that closes a cycle.
        Feed(_h.Actions(new PartitionCommand.Kill(root.Id, new object())));
        var third = new WaitForGraph(TimeProvider.System);
        Start(third);
        Assert.Empty(third.Cycles);
    }

    /// <summary>Applies a start's <see cref="PartitionCommand.Recover"/> (the harness applies the follow-ups it queues), feeding <paramref name="graph"/>; returns the follow-ups.</summary>
    private List<PartitionCommand> Start(WaitForGraph graph)
    {
        var actions = _h.Actions(new PartitionCommand.Recover());
        foreach (var action in actions)
        {
            graph.Observe(action);
        }

        return [.. actions.OfType<PartitionAction.FollowUp>().Select(f => f.Command)];
    }

    private InvokeRequest Submit(string service, string handler, string key)
    {
        var actions = _h.Actions(Commands.Submit(new InvocationRequest(service, handler, key, "1"u8.ToArray(), [], null, true)));
        Feed(actions);
        return actions.OfType<PartitionAction.Invoke>().Single().Request;
    }

    private List<PartitionAction> Effect(InvokeRequest attempt, CallCommandMessage call)
    {
        var actions = _h.Effect(attempt, call).Actions;
        Feed(actions);
        return actions;
    }

    private void Feed(IEnumerable<PartitionAction> actions)
    {
        foreach (var action in actions)
        {
            _graph.Observe(action);
        }
    }
}
