using System.Text.Json.Nodes;
using Keel.Server.Cluster.Deadlocks;
using Keel.Server.Deadlocks;

namespace Keel.Server.Postgres.Tests.Cluster.Deadlocks;

/// <summary>
/// The cluster's detector on its own: the nodes' waits merged (as they travel between nodes) close a cycle none of
/// them holds alone; an acyclic chain over nodes does not; a listed cycle stands only while every wait on it does.
/// </summary>
public sealed class MergedWaitsTests
{
    // Node 1 serves A's partition, node 2 B's: a (A/k) calls b (B/k), b calls a2 (A/k), queued behind a.
    private static readonly WaitEdge[] Node1 = [new("a", "A/k/hop", "b", WaitReason.Call), new("a2", "A/k/hop", "a", WaitReason.Lock)];
    private static readonly WaitEdge[] Node2 = [new("b", "B/k/hop", "a2", WaitReason.Call)];

    [Fact]
    public void The_nodes_waits_merged_close_the_cycle_each_node_holds_part_of()
    {
        Assert.Null(new MergedWaits(Node1).CycleThrough("a"));
        Assert.Null(new MergedWaits(Node2).CycleThrough("b"));

        var merged = new MergedWaits([.. Travel(Node1), .. Travel(Node2)]);
        var cycle = merged.CycleThrough("b")!;

        Assert.Equal([("b", "B/k/hop", WaitReason.Call), ("a2", "A/k/hop", WaitReason.Lock), ("a", "A/k/hop", WaitReason.Call)],
            cycle.Select(m => (m.Id, m.Target, m.WaitsBy)));
        Assert.True(merged.Stands(new DeadlockCycle(cycle, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void A_chain_over_nodes_that_ends_is_no_cycle_and_a_gone_wait_breaks_a_listed_one()
    {
        var chain = new MergedWaits([new("a", "A/k/hop", "b", WaitReason.Call), new("b", "B/k/hop", "c", WaitReason.Call), new("q", "C/k/hop", "c", WaitReason.Lock)]);
        Assert.Null(chain.CycleThrough("a"));
        Assert.Null(chain.CycleThrough("q"));

        var cycle = new MergedWaits([.. Node1, .. Node2]).CycleThrough("a")!;
        // b's call answered on node 2: its wait is gone from the merge.
        Assert.False(new MergedWaits(Node1).Stands(new DeadlockCycle(cycle, DateTimeOffset.UnixEpoch)));
    }

    [Fact]
    public void A_cycle_travels_between_nodes_as_it_was_found_and_nonsense_is_refused()
    {
        var members = new MergedWaits([.. Node1, .. Node2]).CycleThrough("a")!;
        Assert.Equal(members, DeadlockWire.ParseCycle(JsonNode.Parse(DeadlockWire.Cycle(members).ToJsonString())));
        Assert.Throws<FormatException>(() => DeadlockWire.ParseEdges(JsonNode.Parse("""{"edges": [{"from": "a", "from_target": "A/k/hop", "to": "b", "waits_on": "sleep"}]}""")));
        Assert.Throws<FormatException>(() => DeadlockWire.ParseCycle(JsonNode.Parse("""{"cycle": []}""")));
    }

    private static List<WaitEdge> Travel(IEnumerable<WaitEdge> edges) => DeadlockWire.ParseEdges(JsonNode.Parse(DeadlockWire.Edges(edges).ToJsonString()));
}
