namespace Keel.Server.Postgres.Tests.Cluster;

public sealed class LeaseScheduleTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly TimeSpan Round = TimeSpan.FromMilliseconds(750);

    private static ClusterView View(params (string? Owner, double ExpiresInSeconds)[] leases) => new(
        [.. leases.Select((l, p) => new PartitionLease(p, l.Owner, 1, Now.AddSeconds(l.ExpiresInSeconds)))],
        [],
        Now);

    [Fact]
    public void Without_a_view_or_with_every_other_lease_renewed_far_ahead_the_round_keeps_its_pace()
    {
        Assert.Equal(Round, LeaseSchedule.NextRoundIn(null, "a", Round, TimeSpan.Zero));
        Assert.Equal(Round, LeaseSchedule.NextRoundIn(View(("a", 0.2), ("b", 2.9), ("c", 2.5)), "a", Round, TimeSpan.Zero));
    }

    [Fact]
    public void A_lease_of_another_node_running_out_before_the_next_round_brings_the_round_to_just_after_its_expiry()
    {
        var wait = LeaseSchedule.NextRoundIn(View(("b", 2.9), ("c", 0.4), ("c", 0.4)), "a", Round, TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromMilliseconds(400) + LeaseSchedule.Margin, wait);
    }

    [Fact]
    public void The_time_since_the_view_was_read_counts_against_the_wait()
    {
        var wait = LeaseSchedule.NextRoundIn(View(("c", 0.4)), "a", Round, TimeSpan.FromMilliseconds(300));

        Assert.Equal(TimeSpan.FromMilliseconds(100) + LeaseSchedule.Margin, wait);
    }

    [Fact]
    public void The_nodes_own_free_and_already_expired_leases_do_not_shorten_the_wait_below_its_floor()
    {
        // Its own lease is renewed by the round anyway; a free one is taken on the pace; an expired one
        // was there to take in the round that read it, and waking for it again and again would spin.
        Assert.Equal(Round, LeaseSchedule.NextRoundIn(View(("a", 0.1), (null, -5), ("b", -0.1)), "a", Round, TimeSpan.Zero));
        Assert.Equal(LeaseSchedule.Shortest, LeaseSchedule.NextRoundIn(View(("b", 0.1)), "a", Round, TimeSpan.FromSeconds(2)));
    }
}
