namespace Keel.Server.Deadlocks;

/// <summary>One wait of this node's graph as other nodes read it: <paramref name="From"/> waits for <paramref name="To"/>.</summary>
public sealed record WaitEdge(string From, string FromTarget, string To, WaitReason Reason);

/// <summary>
/// The graph on a cluster node: it holds the waits of the partitions this node serves, so a cycle through
/// another node's invocations cannot be closed here. A walk that reaches one (<see cref="IsRemote"/>) raises
/// <see cref="Escaped"/>; the cluster's detector then merges the nodes' <see cref="Edges"/> and, finding a
/// cycle, lists it here (<see cref="AddAcrossNodes"/>). Such a cycle is dropped at once when one of this
/// node's waits on it goes, and by the detector when another node's does.
/// </summary>
public sealed partial class WaitForGraph
{
    private readonly List<string> _escapedFrom = [];
    private readonly HashSet<string> _acrossNodes = [];

    /// <summary>
    /// Whether an invocation lives in a partition another node serves (set on a cluster node; null: a single
    /// server, every wait is here).
    /// </summary>
    public Func<string, bool>? IsRemote { get; set; }

    /// <summary>
    /// A new wait of the invocation given closed no cycle here, but what it waits for leads to another node's
    /// invocations (raised outside the graph's lock, on the partition's thread: handlers only queue work).
    /// </summary>
    public event Action<string>? Escaped;

    /// <summary>The waits of this node's invocations: their calls not answered yet, and the queued ones' waits for their key's holder.</summary>
    public IReadOnlyList<WaitEdge> Edges()
    {
        lock (_gate)
        {
            var edges = new List<WaitEdge>();
            foreach (var (id, node) in _nodes)
            {
                edges.AddRange(WaitsOf(id).Select(w => new WaitEdge(id, node.Target, w.Id, w.Reason)));
            }

            return edges;
        }
    }

    /// <summary>Whether <paramref name="id"/> still waits on something here (an escaped wait gone by the time the detector looks needs no look).</summary>
    public bool StillWaits(string id)
    {
        lock (_gate)
        {
            return WaitsOf(id).Any();
        }
    }

    /// <summary>The cycles listed here that run through other nodes' invocations.</summary>
    public IReadOnlyList<DeadlockCycle> CyclesAcrossNodes
    {
        get
        {
            lock (_gate)
            {
                return [.. _acrossNodes.Select(n => _cycles[n])];
            }
        }
    }

    /// <summary>
    /// Lists a cycle found across nodes (by this node's detector, or told by another node's). Raises
    /// <see cref="Detected"/> when <paramref name="announce"/> (the node that found it reports it; the others only
    /// list it). False when it was listed already.
    /// </summary>
    public bool AddAcrossNodes(IReadOnlyList<CycleMember> members, bool announce)
    {
        ArgumentNullException.ThrowIfNull(members);
        DeadlockCycle cycle;
        lock (_gate)
        {
            var name = NameOf(members);
            if (members.Count == 0 || _cycles.ContainsKey(name))
            {
                return false;
            }

            cycle = new DeadlockCycle(members, time.GetUtcNow());
            _cycles[name] = cycle;
            _acrossNodes.Add(name);
        }

        if (announce)
        {
            Detected?.Invoke(cycle);
        }

        return true;
    }

    /// <summary>Drops a cycle across nodes one of whose waits (on another node) is gone.</summary>
    public void DropAcrossNodes(DeadlockCycle cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        lock (_gate)
        {
            var name = NameOf(cycle.Members);
            if (!_acrossNodes.Remove(name) || !_cycles.Remove(name))
            {
                return;
            }
        }

        Broken?.Invoke(cycle);
    }

    /// <summary>A cycle's identity: its members' ids, sorted (the same whichever member it starts at, on every node).</summary>
    public static string NameOf(IEnumerable<CycleMember> members) =>
        string.Join(' ', members.Select(m => m.Id).Order(StringComparer.Ordinal));

    private List<string> TakeEscaped()
    {
        if (_escapedFrom.Count == 0)
        {
            return [];
        }

        List<string> taken = [.. _escapedFrom];
        _escapedFrom.Clear();
        return taken;
    }
}
