using Keel.Server.Deadlocks;

namespace Keel.Server.Cluster.Deadlocks;

/// <summary>The waits of every node, merged for one look: a walk from an invocation back to itself is a cycle.</summary>
internal sealed class MergedWaits
{
    private readonly Dictionary<string, List<WaitEdge>> _from = [];

    public MergedWaits(IEnumerable<WaitEdge> edges)
    {
        foreach (var edge in edges)
        {
            if (!_from.TryGetValue(edge.From, out var list))
            {
                _from[edge.From] = list = [];
            }

            list.Add(edge);
        }
    }

    /// <summary>A cycle through <paramref name="source"/> (its members from it on, each with why it waits for the next), or null.</summary>
    public List<CycleMember>? CycleThrough(string source)
    {
        // Iterative depth-first walk, each invocation once; cameFrom keeps the edge each was reached by.
        var cameFrom = new Dictionary<string, WaitEdge>();
        var stack = new Stack<string>();
        stack.Push(source);
        while (stack.TryPop(out var current))
        {
            foreach (var edge in _from.GetValueOrDefault(current) ?? [])
            {
                if (edge.To == source)
                {
                    return Path(source, edge, cameFrom);
                }

                if (edge.To != source && cameFrom.TryAdd(edge.To, edge))
                {
                    stack.Push(edge.To);
                }
            }
        }

        return null;
    }

    /// <summary>Whether every wait of the cycle is still among the merged waits.</summary>
    public bool Stands(DeadlockCycle cycle)
    {
        ArgumentNullException.ThrowIfNull(cycle);
        var members = cycle.Members;
        return members.Select((m, i) => (m, next: members[(i + 1) % members.Count]))
            .All(e => (_from.GetValueOrDefault(e.m.Id) ?? []).Any(w => w.To == e.next.Id && w.Reason == e.m.WaitsBy));
    }

    private static List<CycleMember> Path(string source, WaitEdge closing, Dictionary<string, WaitEdge> cameFrom)
    {
        // Back from the closing edge's source to the start, then reversed: source → … → closing.From → source.
        var edges = new List<WaitEdge> { closing };
        for (var at = closing.From; at != source;)
        {
            var edge = cameFrom[at];
            edges.Add(edge);
            at = edge.From;
        }

        edges.Reverse();
        return [.. edges.Select(e => new CycleMember(e.From, e.FromTarget, e.Reason))];
    }
}
