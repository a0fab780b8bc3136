using Keel.Protocol.Ids;
using Keel.Server.Contracts;

namespace Keel.Server.Partitions;

/// <summary>
/// Clients waiting for invocations' results. A client that goes away cancels its completion source;
/// such entries are pruned when the list is touched and on every cleanup pass, so disconnected
/// callers of never-ending invocations do not pile up.
/// </summary>
internal sealed class Waiters
{
    private readonly Dictionary<InvocationId, List<TaskCompletionSource<InvocationResult>>> _byInvocation = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get { lock (_gate) { return _byInvocation.Values.Sum(l => l.Count); } }
    }

    public void Add(InvocationId id, TaskCompletionSource<InvocationResult> waiter)
    {
        lock (_gate)
        {
            if (!_byInvocation.TryGetValue(id, out var list))
            {
                _byInvocation[id] = list = [];
            }

            list.RemoveAll(w => w.Task.IsCompleted);
            list.Add(waiter);
        }
    }

    public void Complete(InvocationId id, InvocationResult result)
    {
        List<TaskCompletionSource<InvocationResult>>? list;
        lock (_gate)
        {
            _byInvocation.Remove(id, out list);
        }

        list?.ForEach(w => w.TrySetResult(result));
    }

    /// <summary>Drops waiters whose client has gone.</summary>
    public void Prune()
    {
        lock (_gate)
        {
            foreach (var (id, list) in _byInvocation.ToList())
            {
                list.RemoveAll(w => w.Task.IsCompleted);
                if (list.Count == 0)
                {
                    _byInvocation.Remove(id);
                }
            }
        }
    }

    public void FailAll(Exception error)
    {
        List<TaskCompletionSource<InvocationResult>> all;
        lock (_gate)
        {
            all = _byInvocation.Values.SelectMany(l => l).ToList();
            _byInvocation.Clear();
        }

        all.ForEach(w => w.TrySetException(error));
    }
}
