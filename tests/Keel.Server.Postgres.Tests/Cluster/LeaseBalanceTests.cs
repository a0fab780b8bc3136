namespace Keel.Server.Postgres.Tests.Cluster;

public sealed class LeaseBalanceTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(8);

    private static ClusterView View(string?[] owners, params string[] members) => new(
        [.. owners.Select((owner, p) => new PartitionLease(p, owner, 1, owner is null ? DateTimeOffset.UnixEpoch : Now.AddSeconds(5)))],
        [.. members.Select(m => new ClusterMember(m, new Uri("http://a/"), new Uri("http://b/"), Now, Now))],
        Now);

    [Fact]
    public void A_lone_node_takes_every_partition()
    {
        Assert.Equal(new LeaseDecision(null, 6), LeaseBalance.Decide(View([null, null, null, null, null, null]), "a", Lease));
    }

    [Fact]
    public void A_node_holding_everything_gives_one_back_per_round_when_another_joins()
    {
        var view = View(["a", "a", "a", "a", "a", "a"], "a", "b");
        Assert.Equal(new LeaseDecision(5, 0), LeaseBalance.Decide(view, "a", Lease));
        Assert.Equal(new LeaseDecision(null, 3), LeaseBalance.Decide(view, "b", Lease));
    }

    [Fact]
    public void While_a_node_starves_the_others_stop_at_the_floor_and_take_nothing()
    {
        // 6 partitions over 3 nodes: 2 each. b already has 2; c has none; a has 4 and gives back.
        var view = View(["a", "a", "a", "a", "b", "b"], "a", "b", "c");
        Assert.Equal(new LeaseDecision(3, 0), LeaseBalance.Decide(view, "a", Lease));
        Assert.Equal(new LeaseDecision(null, 0), LeaseBalance.Decide(view, "b", Lease));
        Assert.Equal(new LeaseDecision(null, 2), LeaseBalance.Decide(view, "c", Lease));
    }

    [Fact]
    public void An_uneven_count_settles_on_floor_or_ceiling_without_moving_back_and_forth()
    {
        // 4 partitions over 3 nodes: 2, 1, 1 is balanced. Nobody gives one back; b and c would take a
        // second only if one were free or expired (none is), so nothing moves.
        var view = View(["a", "a", "b", "c"], "a", "b", "c");
        Assert.Equal(new LeaseDecision(null, 0), LeaseBalance.Decide(view, "a", Lease));
        Assert.All(["b", "c"], n => Assert.Null(LeaseBalance.Decide(view, n, Lease).Release));
    }

    [Fact]
    public void A_silent_node_does_not_count_and_its_expired_leases_are_up_for_taking()
    {
        var stale = new ClusterMember("dead", new Uri("http://a/"), new Uri("http://b/"), Now.AddMinutes(-5), Now.AddSeconds(-30));
        var view = new ClusterView(
            [new PartitionLease(0, "a", 1, Now.AddSeconds(5)), new PartitionLease(1, "dead", 4, Now.AddSeconds(-20)), new PartitionLease(2, "a", 1, Now.AddSeconds(5))],
            [new ClusterMember("a", new Uri("http://a/"), new Uri("http://b/"), Now, Now), stale],
            Now);
        Assert.Equal(new LeaseDecision(null, 1), LeaseBalance.Decide(view, "a", Lease));
    }
}
