using Keel.Server.Partitions;

namespace Keel.Server.Deadlocks;

/// <summary>
/// Who waits for whom among the invocations of this server, in memory, fed by the partitions after each
/// commit: an invocation waits for a callee whose result it has not received yet (a call edge), and an
/// invocation queued in an object key's inbox waits for the invocation holding that key's lock (a lock
/// edge). Shared handlers never take a key's lock, so they are never queued and never hold one: only call
/// edges lead into or out of them.
/// <para>
/// Every wait appears as one event, so a cycle is found the moment its last edge appears: from the new
/// edge's target the graph is walked looking for its source. The walk is bounded by the invocations that
/// wait on something (this graph), never by the store. A cycle is kept (and listed) while all its edges
/// hold, and dropped as soon as one goes: a member completes (cancel, kill), a call is answered, a key is
/// handed to another invocation.
/// </para>
/// <para>
/// Not durable: a restart starts from an empty graph, and each partition tells again, as it starts, the waits
/// still standing in its store (Partitions/StateMachine.Waits). A cluster node forgets the waits of a partition
/// it stops serving (<see cref="Forget"/>); whoever serves it next rebuilds them.
/// </para>
/// </summary>
public sealed partial class WaitForGraph(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Node> _nodes = [];
    private readonly Dictionary<(string Service, string Key), string> _holders = [];
    private readonly Dictionary<(string Service, string Key), HashSet<string>> _queued = [];
    private readonly Dictionary<string, DeadlockCycle> _cycles = [];

    /// <summary>A cycle closed (raised outside the graph's lock, once per cycle).</summary>
    public event Action<DeadlockCycle>? Detected;

    /// <summary>A cycle listed before has one edge less: one of its invocations moved on.</summary>
    public event Action<DeadlockCycle>? Broken;

    /// <summary>The cycles standing now, oldest first.</summary>
    public IReadOnlyList<DeadlockCycle> Cycles
    {
        get
        {
            lock (_gate)
            {
                return [.. _cycles.Values.OrderBy(c => c.DetectedAt)];
            }
        }
    }

    /// <summary>Invocations with at least one wait or a key's lock (what a walk may visit).</summary>
    public int Size
    {
        get
        {
            lock (_gate)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>Takes in what a partition's committed batch says about waits (other actions are ignored).</summary>
    public void Observe(PartitionAction action)
    {
        switch (action)
        {
            case PartitionAction.CallAwaited call:
                CallAwaited(call.Caller.ToString(), call.CallerTarget, call.CompletionId, call.Callee, call.CalleeTarget);
                break;
            case PartitionAction.CallAnswered answered:
                CallAnswered(answered.Caller.ToString(), answered.CompletionId);
                break;
            case PartitionAction.Inboxed inboxed:
                Inboxed(inboxed.Id.ToString(), inboxed.Target, inboxed.Service, inboxed.Key);
                break;
            case PartitionAction.KeyTaken taken:
                KeyTaken(taken.Id.ToString(), taken.Target, taken.Service, taken.Key);
                break;
            case PartitionAction.Completed completed:
                Ended(completed.Id.ToString());
                break;
        }
    }

    /// <summary><paramref name="caller"/> made a request-response call (its completion <paramref name="completionId"/>) to <paramref name="callee"/>.</summary>
    public void CallAwaited(string caller, string callerTarget, uint completionId, string callee, string calleeTarget)
    {
        DeadlockCycle? found;
        List<string> escaped;
        lock (_gate)
        {
            var node = NodeOf(caller, callerTarget);
            node.Calls[completionId] = (callee, calleeTarget);
            found = FindCycle(callee, caller);
            escaped = TakeEscaped();
        }

        Report(found, escaped);
    }

    /// <summary>The result of <paramref name="caller"/>'s call <paramref name="completionId"/> reached it.</summary>
    public void CallAnswered(string caller, uint completionId) => Change(() =>
    {
        if (_nodes.TryGetValue(caller, out var node) && node.Calls.Remove(completionId))
        {
            DropIfIdle(caller, node);
        }
    });

    /// <summary><paramref name="id"/> (an exclusive handler) is queued in its key's inbox behind the key's holder.</summary>
    public void Inboxed(string id, string target, string service, string key)
    {
        DeadlockCycle? found = null;
        List<string> escaped;
        lock (_gate)
        {
            var node = NodeOf(id, target);
            node.Inbox = (service, key);
            QueueOf((service, key)).Add(id);
            if (_holders.TryGetValue((service, key), out var holder))
            {
                found = FindCycle(holder, id);
            }

            escaped = TakeEscaped();
        }

        Report(found, escaped);
    }

    /// <summary>
    /// <paramref name="id"/> (an exclusive handler) holds its key's lock now; whatever is queued on the key waits for
    /// it. Live, this closes no cycle (an invocation takes its key before it runs, so it waits for nothing yet), but
    /// when the waits are rebuilt after a restart the holder may be told last, after its calls and the queue.
    /// </summary>
    public void KeyTaken(string id, string target, string service, string key)
    {
        var broken = new List<DeadlockCycle>();
        var found = new List<DeadlockCycle?>();
        List<string> escaped;
        lock (_gate)
        {
            var node = NodeOf(id, target);
            if (node.Inbox is { } inbox)
            {
                LeaveInbox(id, inbox);
                node.Inbox = null;
            }

            node.Holds = (service, key);
            _holders[(service, key)] = id;
            Revalidate(broken);
            if (node.Calls.Count > 0 && _queued.TryGetValue((service, key), out var queue))
            {
                foreach (var queued in queue.ToList())
                {
                    found.Add(FindCycle(id, queued));
                }
            }

            escaped = TakeEscaped();
        }

        ReportBroken(broken);
        found.ForEach(f => Report(f, []));
        Report(null, escaped);
    }

    /// <summary><paramref name="id"/> completed (ended, failed, cancelled, killed): it waits for nothing and holds no key any more.</summary>
    public void Ended(string id) => Change(() =>
    {
        if (_nodes.TryGetValue(id, out var node))
        {
            Ended(id, node);
        }
    });

    private void Ended(string id, Node node)
    {
        _nodes.Remove(id);
        if (node.Inbox is { } inbox)
        {
            LeaveInbox(id, inbox);
        }

        if (node.Holds is { } held && _holders.TryGetValue(held, out var holder) && holder == id)
        {
            _holders.Remove(held);
        }
    }

    /// <summary>
    /// Forgets the waits of the invocations <paramref name="owned"/> picks (a partition this node stops serving):
    /// their calls, queue places and keys held. Cycles through them are dropped (reported broken here: the node
    /// that serves the partition next finds them again).
    /// </summary>
    public void Forget(Func<string, bool> owned)
    {
        ArgumentNullException.ThrowIfNull(owned);
        Change(() =>
        {
            foreach (var id in _nodes.Keys.Where(owned).ToList())
            {
                Ended(id, _nodes[id]);
            }
        });
    }

    /// <summary>Applies a removal, then drops (and reports) the cycles it broke.</summary>
    private void Change(Action change)
    {
        var broken = new List<DeadlockCycle>();
        lock (_gate)
        {
            change();
            Revalidate(broken);
        }

        ReportBroken(broken);
    }

    private Node NodeOf(string id, string target)
    {
        if (!_nodes.TryGetValue(id, out var node))
        {
            _nodes[id] = node = new Node(target);
        }

        return node;
    }

    private HashSet<string> QueueOf((string, string) key)
    {
        if (!_queued.TryGetValue(key, out var queue))
        {
            _queued[key] = queue = [];
        }

        return queue;
    }

    private void LeaveInbox(string id, (string, string) inbox)
    {
        if (_queued.TryGetValue(inbox, out var queue) && queue.Remove(id) && queue.Count == 0)
        {
            _queued.Remove(inbox);
        }
    }

    private void DropIfIdle(string id, Node node)
    {
        if (node.Calls.Count == 0 && node.Inbox is null && node.Holds is null)
        {
            _nodes.Remove(id);
        }
    }

    /// <summary>Whom <paramref name="id"/> waits for now: its callees, and the holder of the key it is queued on.</summary>
    private IEnumerable<(string Id, WaitReason Reason)> WaitsOf(string id)
    {
        if (!_nodes.TryGetValue(id, out var node))
        {
            yield break;
        }

        foreach (var (callee, _) in node.Calls.Values)
        {
            yield return (callee, WaitReason.Call);
        }

        if (node.Inbox is { } inbox && _holders.TryGetValue(inbox, out var holder) && holder != id)
        {
            yield return (holder, WaitReason.Lock);
        }
    }

    /// <summary>
    /// A new edge <c>source → from</c>: walks from <paramref name="from"/> (each invocation once) and, if the source
    /// is reached, that path plus the new edge is a cycle.
    /// </summary>
    private DeadlockCycle? FindCycle(string from, string source)
    {
        if (!_nodes.ContainsKey(from))
        {
            // What is waited for waits for nothing here (the common case: a call to an invocation just created, a
            // key's holder that has made no call): no walk, nothing allocated.
            if (IsRemote?.Invoke(from) == true)
            {
                _escapedFrom.Add(source);
            }

            return null;
        }

        var cameFrom = new Dictionary<string, (string Id, WaitReason Reason)>();
        var visited = new HashSet<string> { from };
        var stack = new Stack<string>();
        var escaped = false;
        stack.Push(from);
        while (stack.TryPop(out var current))
        {
            foreach (var (next, reason) in WaitsOf(current))
            {
                if (!visited.Add(next))
                {
                    continue;
                }

                cameFrom[next] = (current, reason);
                if (next == source)
                {
                    return Record(PathTo(next, from, cameFrom));
                }

                if (!_nodes.ContainsKey(next) && IsRemote?.Invoke(next) == true)
                {
                    escaped = true;
                }

                stack.Push(next);
            }
        }

        if (escaped)
        {
            // The path went on to another node's invocations: only the cluster's detector can tell.
            _escapedFrom.Add(source);
        }

        return null;
    }

    /// <summary>The cycle <c>source → from → … → source</c> as members, each with why it waits for the next.</summary>
    private List<CycleMember> PathTo(string source, string from, Dictionary<string, (string Id, WaitReason Reason)> cameFrom)
    {
        // Walk back from the source to from: edges u -reason-> v, collected in reverse.
        var reversed = new List<CycleMember>();
        for (var v = source; v != from;)
        {
            var (u, reason) = cameFrom[v];
            reversed.Add(new CycleMember(u, _nodes[u].Target, reason));
            v = u;
        }

        reversed.Reverse();
        var closing = WaitsOf(source).First(w => w.Id == from).Reason;
        return [new CycleMember(source, _nodes[source].Target, closing), .. reversed];
    }

    private DeadlockCycle? Record(List<CycleMember> members)
    {
        var name = NameOf(members);
        if (_cycles.ContainsKey(name))
        {
            return null;
        }

        var cycle = new DeadlockCycle(members, time.GetUtcNow());
        _cycles[name] = cycle;
        return cycle;
    }

    /// <summary>Drops every listed cycle one of whose edges is gone.</summary>
    private void Revalidate(List<DeadlockCycle> broken)
    {
        if (_cycles.Count == 0)
        {
            return;
        }

        foreach (var (name, cycle) in _cycles.ToList())
        {
            var members = cycle.Members;
            // A wait of another node's invocation (a cycle across nodes) is checked by the cluster's detector.
            var stands = members.Select((m, i) => (m, next: members[(i + 1) % members.Count]))
                .Where(e => !_acrossNodes.Contains(name) || _nodes.ContainsKey(e.m.Id) || IsRemote?.Invoke(e.m.Id) != true)
                .All(e => WaitsOf(e.m.Id).Any(w => w.Id == e.next.Id && w.Reason == e.m.WaitsBy));
            if (!stands)
            {
                _cycles.Remove(name);
                _acrossNodes.Remove(name);
                broken.Add(cycle);
            }
        }
    }

    /// <summary>Raised outside the lock: the cycle found, and <see cref="Escaped"/> for each new wait whose walk left this node.</summary>
    private void Report(DeadlockCycle? found, List<string> escaped)
    {
        if (found is not null)
        {
            Detected?.Invoke(found);
        }

        escaped.ForEach(e => Escaped?.Invoke(e));
    }

    private void ReportBroken(List<DeadlockCycle> broken)
    {
        foreach (var cycle in broken)
        {
            Broken?.Invoke(cycle);
        }
    }

    /// <summary>One invocation's waits: its unanswered calls by completion id, the key it is queued on, the key it holds.</summary>
    private sealed class Node(string target)
    {
        public string Target { get; } = target;

        public Dictionary<uint, (string Id, string Target)> Calls { get; } = [];

        public (string Service, string Key)? Inbox { get; set; }

        public (string Service, string Key)? Holds { get; set; }
    }
}
