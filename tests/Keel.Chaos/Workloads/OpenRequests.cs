using System.Collections.Concurrent;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>The requests a workload has left indeterminate, to be retried with their idempotency key after the heal.</summary>
internal static class OpenRequests
{
    /// <summary>An indeterminate answer leaves the request open; an acknowledgement closes it; a failure changes nothing (an earlier attempt may still be open).</summary>
    public static void Note<TKey, TValue>(this ConcurrentDictionary<TKey, TValue> open, OpKind outcome, TKey request, TValue value)
        where TKey : notnull
    {
        if (outcome == OpKind.Info)
        {
            open[request] = value;
        }
        else if (outcome == OpKind.Ok)
        {
            open.TryRemove(request, out _);
        }
    }
}
