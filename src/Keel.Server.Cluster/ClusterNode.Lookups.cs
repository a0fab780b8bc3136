using Keel.Server.Postgres;

namespace Keel.Server.Cluster;

/// <summary>
/// Looking a partition's owner up again on behalf of requests (a forward refused by a dead or moved
/// owner). Many requests notice the same failover at once; their lookups are coalesced so that the
/// database sees at most one read per <see cref="LookupSpacing"/> from this node, however many wait.
/// </summary>
internal sealed partial class ClusterNode
{
    /// <summary>Requests waiting for a new owner read the leases at most this often (together).</summary>
    public static readonly TimeSpan LookupSpacing = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _lookingUp = new(1, 1);

    /// <summary>When the read behind <see cref="View"/> was sent (the lease loop's own reads count too).</summary>
    private long _viewReadAtMs = Environment.TickCount64;

    /// <summary>A partition's lease as last read; null before the first read.</summary>
    public PartitionLease? LeaseOf(int partition) => _view?.Leases.FirstOrDefault(l => l.Partition == partition);

    /// <summary>Reads the leases again (after a forward found the owner moved).</summary>
    public void Refresh()
    {
        var asked = Environment.TickCount64;
        _view = _lookups.Read();
        Volatile.Write(ref _viewReadAtMs, asked);
    }

    /// <summary>
    /// Makes sure <see cref="View"/> comes from a read sent no longer than <paramref name="maxAge"/> ago,
    /// reading the leases if not. Concurrent callers share one read: whoever waits for the one in
    /// progress finds it fresh enough and returns without reading again.
    /// </summary>
    public async Task RefreshIfOlderThanAsync(TimeSpan maxAge, CancellationToken cancel)
    {
        if (IsFresh(maxAge))
        {
            return;
        }

        await _lookingUp.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (!IsFresh(maxAge))
            {
                Refresh();
            }
        }
        finally
        {
            _lookingUp.Release();
        }
    }

    private bool IsFresh(TimeSpan maxAge) => Environment.TickCount64 - Volatile.Read(ref _viewReadAtMs) <= (long)maxAge.TotalMilliseconds;

    /// <summary>The lease loop's reads: recorded as fresh so waiting requests need not read again right after.</summary>
    private void SetViewFromLoop(ClusterView view, long askedAtMs)
    {
        _view = view;
        Volatile.Write(ref _viewReadAtMs, askedAtMs);
    }
}
