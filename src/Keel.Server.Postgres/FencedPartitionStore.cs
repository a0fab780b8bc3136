using Keel.Server.Storage;

namespace Keel.Server.Postgres;

/// <summary>
/// One partition's view of the shared PostgreSQL store for a node holding its lease: every commit first
/// checks the lease (see <see cref="PostgresStore.Commit(IReadOnlyList{WriteOp}, LeaseFence?)"/>). With a
/// <see cref="LeaseGuard"/> and a cache size, reads are answered from an owner-side cache
/// (<see cref="PartitionReadCache"/>) while the guard says the lease is held; otherwise, and on a miss,
/// they go to the database. The cache is dropped whole when the guard lapses, a commit fails, or the
/// store is disposed. Disposing it leaves the shared store open.
/// </summary>
public sealed class FencedPartitionStore : IKeyValueStore
{
    private readonly PostgresStore _store;
    private readonly LeaseGuard? _guard;
    private readonly PartitionReadCache? _cache;

    public FencedPartitionStore(PostgresStore store, LeaseFence fence, LeaseGuard? guard = null, long cacheBytes = 0)
    {
        _store = store;
        Fence = fence;
        _guard = guard;
        _cache = guard is not null && cacheBytes > 0 ? new PartitionReadCache(cacheBytes) : null;
    }

    public LeaseFence Fence { get; }

    /// <summary>Bytes the cache holds now (0 without one).</summary>
    public long CachedBytes => _cache?.Bytes ?? 0;

    public byte[]? Get(Table table, ReadOnlySpan<byte> key)
    {
        if (Cache() is not { } cache)
        {
            return _store.Get(table, key);
        }

        if (cache.TryGet(table, key, out var cached))
        {
            PostgresCacheMetrics.Hit(table, range: false);
            return cached;
        }

        PostgresCacheMetrics.Miss(table, range: false);
        var ticket = cache.BeginRead();
        var value = _store.Get(table, key);
        cache.FillPoint(ticket, table, key.ToArray(), value);
        return value;
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to)
    {
        if (Cache() is not { } cache)
        {
            return _store.Scan(table, from, to);
        }

        if (cache.TryScan(table, from, to) is { } rows)
        {
            PostgresCacheMetrics.Hit(table, range: true);
            return rows;
        }

        PostgresCacheMetrics.Miss(table, range: true);
        return ScanThrough(cache, table, from, to);
    }

    /// <summary>A scan from the database, lazily; a range the first query answered whole is kept in the cache.</summary>
    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanThrough(PartitionReadCache cache, Table table, byte[] from, byte[]? to)
    {
        var ticket = cache.BeginRead();
        var first = _store.ScanChunk(table, from, exclusive: false, to);
        var whole = first.Count < PostgresReads.ChunkRows;
        if (whole)
        {
            cache.FillRange(ticket, table, from, to, first);
        }

        foreach (var row in first)
        {
            yield return row;
        }

        if (!whole)
        {
            foreach (var row in _store.ScanAfter(table, first[^1].Key, to))
            {
                yield return row;
            }
        }
    }

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        var cache = _cache;
        if (cache is null)
        {
            _store.Commit(writes, Fence);
            return;
        }

        cache.CommitStarting(writes);
        try
        {
            _store.Commit(writes, Fence);
        }
        catch
        {
            // Refused (lease lost) or unknown (the connection broke around the commit): start over from the database.
            cache.CommitFailed(writes);
            throw;
        }

        cache.CommitSucceeded(writes);
    }

    public IStoreSnapshot OpenSnapshot() => _store.OpenSnapshot();

    /// <summary>The cache, while the lease is certainly held; otherwise it is emptied and not used.</summary>
    private PartitionReadCache? Cache()
    {
        if (_cache is null)
        {
            return null;
        }

        if (_guard!.Held)
        {
            return _cache;
        }

        _cache.Clear();
        return null;
    }

    public void Dispose()
    {
        _guard?.Revoke();
        _cache?.Clear();
    }
}
