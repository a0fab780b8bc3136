using Keel.Server.Storage;

namespace Keel.Server.Postgres;

/// <summary>
/// What one partition's owner has read from or written to PostgreSQL, kept while it holds the lease:
/// under a lease the owner is the partition's only writer, so its own commits are the only changes it
/// could miss, and those are written through here once the database has them. Point reads (present
/// or absent) and whole ranges read in one query (a journal, an object's state, an inbox) are kept,
/// least recently used first out when <see cref="Capacity"/> bytes are exceeded.
/// <para>
/// A read that misses goes to the database outside the lock; the answer is kept only if no commit
/// touching it ran meanwhile (in flight now, or completed since the read began, or the cache was
/// cleared), so a slow read never puts back a value older than a commit it overlapped.
/// </para>
/// </summary>
internal sealed class PartitionReadCache(long capacity)
{
    /// <summary>Completed commits remembered for reads still running; a read older than these is not kept.</summary>
    private const int History = 64;

    /// <summary>Ranges kept per table: a point read looks through them, so their number stays small.</summary>
    private const int RangesPerTable = 256;

    private readonly object _lock = new();
    private readonly Dictionary<CacheKey, LinkedListNode<Entry>> _entries = new(CacheKey.Comparer);
    private readonly LinkedList<Entry> _lru = new();
    private readonly Dictionary<Table, List<Entry>> _ranges = [];
    private readonly List<IReadOnlyList<WriteOp>> _inFlight = [];
    private readonly Queue<(long Sequence, IReadOnlyList<WriteOp> Writes)> _completed = new();
    private long _sequence;
    private long _clears;
    private long _bytes;

    public long Capacity { get; } = capacity;

    /// <summary>Where a read stood when it began: compared when its answer comes back.</summary>
    public readonly record struct ReadTicket(long Sequence, long Clears);

    public ReadTicket BeginRead()
    {
        lock (_lock)
        {
            return new ReadTicket(_sequence, _clears);
        }
    }

    public bool TryGet(Table table, ReadOnlySpan<byte> key, out byte[]? value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(new CacheKey(table, key.ToArray(), null, false), out var node))
            {
                Touch(node);
                value = node.Value.Value;
                return true;
            }

            // A cached complete range holding the key's place answers too (absent when not in it).
            if (_ranges.TryGetValue(table, out var ranges))
            {
                foreach (var range in ranges)
                {
                    if (KeyRange.InRange(key, range.Key.Key, range.Key.To))
                    {
                        Touch(range.Node!);
                        var bytes = key.ToArray();
                        value = range.Rows!.TryGetValue(bytes, out var found) ? found : null;
                        return true;
                    }
                }
            }

            value = null;
            return false;
        }
    }

    /// <summary>Rows of [from, to) if a cached complete range covers it.</summary>
    public List<KeyValuePair<byte[], byte[]>>? TryScan(Table table, byte[] from, byte[]? to)
    {
        lock (_lock)
        {
            if (!_ranges.TryGetValue(table, out var ranges))
            {
                return null;
            }

            foreach (var range in ranges)
            {
                if (Covers(range.Key, from, to))
                {
                    Touch(range.Node!);
                    return [.. range.Rows!.Where(r => KeyRange.InRange(r.Key, from, to))];
                }
            }

            return null;
        }
    }

    public void FillPoint(ReadTicket ticket, Table table, byte[] key, byte[]? value)
    {
        lock (_lock)
        {
            if (!Unchanged(ticket, table, (k, _) => ByteComparer.Instance.Equals(k, key)))
            {
                return;
            }

            var cacheKey = new CacheKey(table, key, null, false);
            if (!_entries.ContainsKey(cacheKey))
            {
                Add(new Entry(cacheKey, value, null));
            }
        }
    }

    /// <summary>Keeps a range read whole (every row of [from, to) in <paramref name="rows"/>).</summary>
    public void FillRange(ReadTicket ticket, Table table, byte[] from, byte[]? to, List<KeyValuePair<byte[], byte[]>> rows)
    {
        lock (_lock)
        {
            if (!Unchanged(ticket, table, (k, _) => KeyRange.InRange(k, from, to)))
            {
                return;
            }

            var cacheKey = new CacheKey(table, from, to, true);
            if (_entries.ContainsKey(cacheKey))
            {
                return;
            }

            var sorted = new SortedList<byte[], byte[]>(rows.Count, ByteComparer.Instance);
            foreach (var (key, value) in rows)
            {
                sorted[key] = value;
            }

            var entry = new Entry(cacheKey, null, sorted);
            if (!_ranges.TryGetValue(table, out var list))
            {
                _ranges[table] = list = [];
            }

            list.Add(entry);
            Add(entry);
            if (list.Count > RangesPerTable)
            {
                Remove(list[0].Node!);
            }
        }
    }

    /// <summary>A commit is about to go to the database: reads overlapping it must not be kept.</summary>
    public void CommitStarting(IReadOnlyList<WriteOp> writes)
    {
        lock (_lock)
        {
            _inFlight.Add(writes);
        }
    }

    /// <summary>The database has the commit: its writes replace what is cached.</summary>
    public void CommitSucceeded(IReadOnlyList<WriteOp> writes)
    {
        lock (_lock)
        {
            foreach (var write in writes)
            {
                Apply(write);
            }

            _inFlight.Remove(writes);
            _completed.Enqueue((++_sequence, writes));
            while (_completed.Count > History)
            {
                _completed.Dequeue();
            }
        }
    }

    /// <summary>The commit's outcome is unknown (or it was refused): nothing cached can be trusted any more.</summary>
    public void CommitFailed(IReadOnlyList<WriteOp> writes)
    {
        lock (_lock)
        {
            _inFlight.Remove(writes);
            ClearLocked();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            ClearLocked();
        }
    }

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    private void ClearLocked()
    {
        _entries.Clear();
        _lru.Clear();
        _ranges.Clear();
        _completed.Clear();
        _bytes = 0;
        _clears++;
    }

    private bool Unchanged(ReadTicket ticket, Table table, Func<byte[], byte[]?, bool> touches)
    {
        if (ticket.Clears != _clears)
        {
            return false;
        }

        // Commits completed since the read began must all still be remembered, and none may touch it.
        if (_sequence != ticket.Sequence && (_completed.Count == 0 || _completed.Peek().Sequence > ticket.Sequence + 1))
        {
            return false;
        }

        foreach (var (sequence, writes) in _completed)
        {
            if (sequence > ticket.Sequence && writes.Any(w => w.Table == table && touches(w.Key, w.Value)))
            {
                return false;
            }
        }

        return !_inFlight.Any(writes => writes.Any(w => w.Table == table && touches(w.Key, w.Value)));
    }

    private void Apply(WriteOp write)
    {
        var pointKey = new CacheKey(write.Table, write.Key, null, false);
        if (_entries.TryGetValue(pointKey, out var node))
        {
            Remove(node);
        }

        Add(new Entry(pointKey, write.Value, null));
        if (_ranges.TryGetValue(write.Table, out var ranges))
        {
            foreach (var range in ranges)
            {
                if (KeyRange.InRange(write.Key, range.Key.Key, range.Key.To))
                {
                    var before = range.Rows!.TryGetValue(write.Key, out var old) ? Size(write.Key, old) : 0;
                    if (write.Value is null)
                    {
                        range.Rows.Remove(write.Key);
                    }
                    else
                    {
                        range.Rows[write.Key] = write.Value;
                    }

                    var after = write.Value is null ? 0 : Size(write.Key, write.Value);
                    range.Bytes += after - before;
                    _bytes += after - before;
                }
            }
        }

        Evict();
    }

    private void Add(Entry entry)
    {
        entry.Node = _lru.AddFirst(entry);
        _entries[entry.Key] = entry.Node;
        entry.Bytes = entry.Rows is null
            ? Size(entry.Key.Key, entry.Value)
            : Size(entry.Key.Key, entry.Key.To) + entry.Rows.Sum(r => Size(r.Key, r.Value));
        _bytes += entry.Bytes;
        Evict();
    }

    private void Evict()
    {
        while (_bytes > Capacity && _lru.Last is { } oldest)
        {
            Remove(oldest);
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _entries.Remove(node.Value.Key);
        _bytes -= node.Value.Bytes;
        if (node.Value.Rows is not null)
        {
            _ranges[node.Value.Key.Table].Remove(node.Value);
        }
    }

    private void Touch(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _lru.AddFirst(node);
    }

    private static bool Covers(CacheKey range, byte[] from, byte[]? to) =>
        ByteComparer.Instance.Compare(range.Key, from) <= 0
        && (range.To is null || (to is not null && ByteComparer.Instance.Compare(to, range.To) <= 0));

    /// <summary>Bytes held for an entry: key and value plus a rough allowance for the bookkeeping around them.</summary>
    private static long Size(byte[] key, byte[]? value) => key.Length + (value?.Length ?? 0) + 96;

    /// <summary>A point (table, key) or a range (table, from, to).</summary>
    private readonly record struct CacheKey(Table Table, byte[] Key, byte[]? To, bool IsRange)
    {
        public static IEqualityComparer<CacheKey> Comparer { get; } = new KeyComparer();

        private sealed class KeyComparer : IEqualityComparer<CacheKey>
        {
            public bool Equals(CacheKey x, CacheKey y) =>
                x.Table == y.Table && x.IsRange == y.IsRange && ByteComparer.Instance.Equals(x.Key, y.Key)
                && (x.To is null ? y.To is null : y.To is not null && ByteComparer.Instance.Equals(x.To, y.To));

            public int GetHashCode(CacheKey obj) =>
                HashCode.Combine(obj.Table, obj.IsRange, ByteComparer.Instance.GetHashCode(obj.Key));
        }
    }

    private sealed class Entry(CacheKey key, byte[]? value, SortedList<byte[], byte[]>? rows)
    {
        public CacheKey Key { get; } = key;

        public byte[]? Value { get; } = value;

        public SortedList<byte[], byte[]>? Rows { get; } = rows;

        public LinkedListNode<Entry>? Node { get; set; }

        public long Bytes { get; set; }
    }
}
