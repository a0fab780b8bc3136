using Keel.Server.Deadlocks;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Core.Tests.Deadlocks;

/// <summary>
/// The wait-for graph on its own: which waits make a cycle (and which do not), in whichever order the edges
/// arrive, and that a cycle leaves the list the moment one of its waits goes.
/// </summary>
public sealed class WaitForGraphTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly WaitForGraph _graph;
    private readonly List<DeadlockCycle> _detected = [];
    private readonly List<DeadlockCycle> _broken = [];

    public WaitForGraphTests()
    {
        _graph = new WaitForGraph(_time);
        _graph.Detected += _detected.Add;
        _graph.Broken += _broken.Add;
    }

    [Fact]
    public void Two_objects_calling_each_other_while_holding_their_keys_deadlock()
    {
        // a holds A/k and calls B/k; b holds B/k and calls A/k: each call queues behind the other's holder.
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.KeyTaken("b", "B/k/run", "B", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "b2", "B/k/other");
        _graph.Inboxed("b2", "B/k/other", "B", "k");
        _graph.CallAwaited("b", "B/k/run", 2, "a2", "A/k/other");
        Assert.Empty(_detected);
        _time.Advance(TimeSpan.FromSeconds(3));

        _graph.Inboxed("a2", "A/k/other", "A", "k");

        var cycle = Assert.Single(_detected);
        Assert.Equal(["a2", "a", "b2", "b"], cycle.Members.Select(m => m.Id));
        Assert.Equal([WaitReason.Lock, WaitReason.Call, WaitReason.Lock, WaitReason.Call], cycle.Members.Select(m => m.WaitsBy));
        Assert.Equal(["A/k/other", "A/k/run", "B/k/other", "B/k/run"], cycle.Members.Select(m => m.Target));
        Assert.Equal(_time.GetUtcNow(), cycle.DetectedAt);
        Assert.Equal(cycle, Assert.Single(_graph.Cycles));
        Assert.Equal("A/k/other (a2) -lock-> A/k/run (a) -call-> B/k/other (b2) -lock-> B/k/run (b) -call-> A/k/other (a2)", cycle.Describe());
    }

    [Fact]
    public void A_chain_through_three_keys_back_to_the_first_deadlocks_whichever_edge_closes_it()
    {
        // A/k → B/k → C/k → A/k (the README's walkthrough, one hop longer). Partitions tell their waits in their own
        // order, so edges arrive in any order that keeps each partition's: an invocation takes its key before it
        // calls, and the holder takes the key before anything queues behind it.
        (string Kind, string Id, string Target, string Service, string Key, string Callee)[] edges =
        [
            ("holds", "a", "A/k/hop", "A", "k", ""),
            ("calls", "a", "A/k/hop", "", "", "b"),
            ("holds", "b", "B/k/hop", "B", "k", ""),
            ("calls", "b", "B/k/hop", "", "", "c"),
            ("holds", "c", "C/k/hop", "C", "k", ""),
            ("calls", "c", "C/k/hop", "", "", "a2"),
            ("queued", "a2", "A/k/hop", "A", "k", ""),
        ];
        foreach (var order in new[] { new[] { 0, 1, 2, 3, 4, 5, 6 }, [4, 5, 0, 6, 2, 3, 1], [2, 3, 4, 5, 0, 1, 6], [0, 6, 4, 5, 2, 3, 1] })
        {
            var graph = new WaitForGraph(_time);
            var found = new List<DeadlockCycle>();
            graph.Detected += found.Add;
            foreach (var (kind, id, target, service, key, callee) in order.Select(i => edges[i]))
            {
                switch (kind)
                {
                    case "holds": graph.KeyTaken(id, target, service, key); break;
                    case "calls": graph.CallAwaited(id, target, 2, callee, "?"); break;
                    case "queued": graph.Inboxed(id, target, service, key); break;
                }
            }

            var cycle = Assert.Single(found);
            Assert.Equal(["a", "a2", "b", "c"], cycle.Members.Select(m => m.Id).Order());
            Assert.Single(graph.Cycles);
        }
    }

    [Fact]
    public void An_object_calling_its_own_key_deadlocks_with_itself()
    {
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "a2", "A/k/other");
        _graph.Inboxed("a2", "A/k/other", "A", "k");

        Assert.Equal(["a2", "a"], Assert.Single(_detected).Members.Select(m => m.Id));
    }

    [Fact]
    public void A_call_to_a_shared_handler_of_the_own_key_is_no_deadlock()
    {
        // A shared handler never queues for the key: the call is an edge to an invocation that waits for nothing.
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "s", "A/k/get");

        Assert.Empty(_detected);
        Assert.Empty(_graph.Cycles);
    }

    [Fact]
    public void A_long_acyclic_chain_and_a_slow_holder_are_no_deadlock()
    {
        // 10 000 calls deep (walked without recursion), ending queued behind a holder that waits for nothing.
        const int depth = 10_000;
        _graph.KeyTaken("holder", "Slow/k/run", "Slow", "k");
        for (var i = 0; i < depth; i++)
        {
            _graph.KeyTaken($"i{i}", $"Chain/{i}/hop", "Chain", $"{i}");
            _graph.CallAwaited($"i{i}", $"Chain/{i}/hop", 2, i + 1 < depth ? $"i{i + 1}" : "q", "?");
        }

        _graph.Inboxed("q", "Slow/k/run", "Slow", "k");
        _graph.Inboxed("q2", "Slow/k/run", "Slow", "k");

        Assert.Empty(_detected);
        Assert.Equal(depth + 3, _graph.Size);
    }

    [Fact]
    public void A_cycle_is_dropped_when_a_member_is_cancelled_and_its_waits_are_forgotten()
    {
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "a2", "A/k/other");
        _graph.Inboxed("a2", "A/k/other", "A", "k");
        var cycle = Assert.Single(_detected);

        // Cancelling the queued one completes it at once (it never ran).
        _graph.Ended("a2");

        Assert.Equal(cycle, Assert.Single(_broken));
        Assert.Empty(_graph.Cycles);
        _graph.CallAnswered("a", 2);
        _graph.Ended("a");
        Assert.Equal(0, _graph.Size);
    }

    [Fact]
    public void An_answered_call_breaks_the_cycle_and_a_broken_wait_closes_none()
    {
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "b", "B/k/run");
        _graph.KeyTaken("b", "B/k/run", "B", "k");
        _graph.CallAwaited("b", "B/k/run", 2, "a2", "A/k/other");
        _graph.Inboxed("a2", "A/k/other", "A", "k");
        Assert.Single(_graph.Cycles);

        _graph.CallAnswered("b", 2);
        Assert.Empty(_graph.Cycles);
        Assert.Single(_broken);

        // a's call was answered before a2 queued behind a: nothing closes.
        _graph.KeyTaken("x", "X/k/run", "X", "k");
        _graph.CallAwaited("x", "X/k/run", 2, "x2", "X/k/other");
        _graph.CallAnswered("x", 2);
        _graph.Inboxed("x2", "X/k/other", "X", "k");
        Assert.Single(_detected);
    }

    [Fact]
    public void A_key_handed_to_the_next_in_its_inbox_can_close_a_cycle()
    {
        // q1 and q2 queue behind h; h ends, q1 takes the key and calls its own key, queueing q3 behind itself.
        _graph.KeyTaken("h", "A/k/run", "A", "k");
        _graph.Inboxed("q1", "A/k/run", "A", "k");
        _graph.Inboxed("q2", "A/k/other", "A", "k");
        _graph.Ended("h");
        Assert.Empty(_detected);

        _graph.KeyTaken("q1", "A/k/run", "A", "k");
        _graph.CallAwaited("q1", "A/k/run", 2, "q3", "A/k/other");
        _graph.Inboxed("q3", "A/k/other", "A", "k");

        // q3 waits for q1 which waits for q3; q2 only waits (behind q1), it is not on the cycle.
        Assert.Equal(["q1", "q3"], Assert.Single(_detected).Members.Select(m => m.Id).Order());

        // The same cycle is not reported twice when another edge into it appears.
        _graph.Inboxed("q4", "A/k/other", "A", "k");
        Assert.Single(_detected);
    }

    [Fact]
    public void Rebuilt_after_a_restart_the_holder_told_last_closes_the_cycle()
    {
        // A restart's rebuild tells the queue first (the inbox table), the holder's calls and key after.
        _graph.Inboxed("a2", "A/k/other", "A", "k");
        _graph.CallAwaited("b", "B/run", 2, "a2", "A/k/other");
        _graph.CallAwaited("a", "A/k/run", 2, "b", "B/run");
        Assert.Empty(_detected);

        _graph.KeyTaken("a", "A/k/run", "A", "k");

        Assert.Equal(["a2", "a", "b"], Assert.Single(_detected).Members.Select(m => m.Id));
    }

    [Fact]
    public void Forgetting_a_partitions_waits_drops_its_cycles_and_keeps_the_others_waits()
    {
        _graph.KeyTaken("p1-a", "A/k/run", "A", "k");
        _graph.CallAwaited("p1-a", "A/k/run", 2, "p1-a2", "A/k/other");
        _graph.Inboxed("p1-a2", "A/k/other", "A", "k");
        _graph.KeyTaken("p2-b", "B/k/run", "B", "k");
        _graph.CallAwaited("p2-b", "B/k/run", 2, "x", "X/run");
        var cycle = Assert.Single(_graph.Cycles);

        _graph.Forget(id => id.StartsWith("p1-", StringComparison.Ordinal));

        Assert.Empty(_graph.Cycles);
        Assert.Equal(cycle, Assert.Single(_broken));
        Assert.Equal(1, _graph.Size);

        // Told again (whoever serves the partition next): the same cycle is found again.
        _graph.KeyTaken("p1-a", "A/k/run", "A", "k");
        _graph.CallAwaited("p1-a", "A/k/run", 2, "p1-a2", "A/k/other");
        _graph.Inboxed("p1-a2", "A/k/other", "A", "k");
        Assert.Single(_graph.Cycles);
    }

    [Fact]
    public void A_cycle_broken_by_a_cancel_before_its_last_wait_arrives_is_never_reported()
    {
        // a holds A/k and calls b; a is cancelled (it completes) before b's call to A/k queues behind the key.
        _graph.KeyTaken("a", "A/k/run", "A", "k");
        _graph.CallAwaited("a", "A/k/run", 2, "b", "B/run");
        _graph.CallAwaited("b", "B/run", 2, "a2", "A/k/other");
        _graph.Ended("a");

        _graph.Inboxed("a2", "A/k/other", "A", "k");

        Assert.Empty(_detected);
        Assert.Empty(_graph.Cycles);
    }
}
