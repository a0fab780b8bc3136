namespace Keel.Server.Postgres;

/// <summary>
/// When a node's next lease round is due. Rounds come at a fixed pace, except that a round is brought
/// forward to the moment another node's lease runs out: a node that died stops renewing, its leases
/// expire at a time every survivor read from the database, and waking up just then, instead of up to a
/// round later, takes its partitions over as soon as the fence allows.
/// </summary>
public static class LeaseSchedule
{
    /// <summary>
    /// How far past an expiry the round comes: the expiry is in the database's clock and the survivor
    /// counts the wait on its own, so a small margin keeps the round from arriving a tick early and
    /// finding the lease still held.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(25);

    /// <summary>The shortest wait between rounds, so a lease that expires over and over cannot spin the loop.</summary>
    public static readonly TimeSpan Shortest = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The wait until the next round: <paramref name="round"/>, or less when a lease held by another
    /// node (per <paramref name="view"/>, read <paramref name="sinceRead"/> ago) expires sooner.
    /// Leases already expired are left to the paced rounds: they were there to take in the last one.
    /// </summary>
    public static TimeSpan NextRoundIn(ClusterView? view, string node, TimeSpan round, TimeSpan sinceRead)
    {
        var wait = round;
        if (view is null)
        {
            return wait;
        }

        foreach (var lease in view.Leases)
        {
            if (lease.Owner is null || lease.Owner == node || lease.ExpiresAt <= view.Now)
            {
                continue;
            }

            var untilExpiry = lease.ExpiresAt - view.Now - sinceRead + Margin;
            if (untilExpiry < wait)
            {
                wait = untilExpiry;
            }
        }

        return wait < Shortest ? Shortest : wait;
    }
}
