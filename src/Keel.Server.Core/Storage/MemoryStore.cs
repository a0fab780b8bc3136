namespace Keel.Server.Storage;

/// <summary>An in-memory store with the same semantics, for tests of the state machine.</summary>
public sealed class MemoryStore : IKeyValueStore
{
    private readonly Dictionary<Table, SortedDictionary<byte[], byte[]>> _tables =
        Enum.GetValues<Table>().ToDictionary(t => t, _ => new SortedDictionary<byte[], byte[]>(ByteComparer.Instance));

    private readonly Lock _gate = new();

    public int Commits { get; private set; }

    /// <summary>When set, the next commits throw this (tests of storage failures).</summary>
    public Exception? FailCommitsWith { get; set; }

    public byte[]? Get(Table table, ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            return _tables[table].GetValueOrDefault(key.ToArray());
        }
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to)
    {
        lock (_gate)
        {
            return _tables[table].Where(kv => KeyRange.InRange(kv.Key, from, to)).ToList();
        }
    }

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (FailCommitsWith is { } failure)
        {
            throw failure;
        }

        lock (_gate)
        {
            Commits++;
            foreach (var write in writes)
            {
                if (write.Value is null)
                {
                    _tables[write.Table].Remove(write.Key);
                }
                else
                {
                    _tables[write.Table][write.Key] = write.Value;
                }
            }
        }
    }

    public IStoreSnapshot OpenSnapshot()
    {
        lock (_gate)
        {
            var copy = new MemoryStore();
            foreach (var (table, entries) in _tables)
            {
                foreach (var (key, value) in entries)
                {
                    copy._tables[table][key] = value;
                }
            }

            return new Snapshot(copy);
        }
    }

    private sealed class Snapshot(MemoryStore copy) : IStoreSnapshot
    {
        public byte[]? Get(Table table, ReadOnlySpan<byte> key) => copy.Get(table, key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => copy.Scan(table, from, to);

        public void Dispose()
        {
        }
    }

    /// <summary>Every entry of every table (tests compare whole stores).</summary>
    public IReadOnlyList<(Table Table, byte[] Key, byte[] Value)> Dump()
    {
        lock (_gate)
        {
            return _tables.SelectMany(t => t.Value.Select(kv => (t.Key, kv.Key, kv.Value))).ToList();
        }
    }

    public void Dispose()
    {
    }
}

/// <summary>Lexicographic byte order, the order RocksDB keeps keys in.</summary>
public sealed class ByteComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static ByteComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y.AsSpan());

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}
