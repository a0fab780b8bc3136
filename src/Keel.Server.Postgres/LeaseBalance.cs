namespace Keel.Server.Postgres;

/// <summary>What a node does with its leases in one round: give one back, take some, or nothing.</summary>
public readonly record struct LeaseDecision(int? Release, int Acquire);

/// <summary>
/// Spreads leases evenly over the live nodes. With P partitions and N live nodes, every node should
/// hold ⌊P/N⌋ or ⌈P/N⌉. A node above ⌈P/N⌉ — or above ⌊P/N⌋ while another node is below it — gives
/// one back per round (its neighbours take it); a node below takes free or expired leases. One
/// release per round keeps hand-overs gradual: each moved partition pauses only itself.
/// </summary>
public static class LeaseBalance
{
    public static LeaseDecision Decide(ClusterView view, string node, TimeSpan leaseTime)
    {
        ArgumentNullException.ThrowIfNull(view);
        var live = view.Members.Where(m => view.Now - m.HeartbeatAt <= leaseTime).Select(m => m.Node).ToHashSet(StringComparer.Ordinal);
        live.Add(node);
        var total = view.Leases.Count;
        if (total == 0)
        {
            return new LeaseDecision(null, 0);
        }

        var held = live.ToDictionary(n => n, n => view.Leases.Count(l => l.Owner == n && (l.ExpiresAt > view.Now || n == node)), StringComparer.Ordinal);
        var floor = total / live.Count;
        var ceiling = (total + live.Count - 1) / live.Count;
        var mine = held[node];
        var someoneStarves = held.Any(h => h.Key != node && h.Value < floor);
        if (mine > ceiling || (mine > floor && someoneStarves))
        {
            return new LeaseDecision(view.Leases.Where(l => l.Owner == node).Max(l => l.Partition), 0);
        }

        var target = someoneStarves ? floor : ceiling;
        return new LeaseDecision(null, Math.Max(0, target - mine));
    }
}
