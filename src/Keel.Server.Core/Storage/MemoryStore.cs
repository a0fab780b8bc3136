namespace Keel.Server.Storage;

/// <summary>An in-memory store with the same semantics, for tests of the state machine.</summary>
public sealed class MemoryStore : IKeyValueStore
{
    private readonly Dictionary<Table, SortedDictionary<byte[], byte[]>> _tables =
        Enum.GetValues<Table>().ToDictionary(t => t, _ => new SortedDictionary<byte[], byte[]>(ByteComparer.Instance));

    public int Commits { get; private set; }

    public byte[]? Get(Table table, ReadOnlySpan<byte> key) => _tables[table].GetValueOrDefault(key.ToArray());

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] prefix) =>
        _tables[table].Where(kv => kv.Key.AsSpan().StartsWith(prefix)).ToList();

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
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

    public void Dispose()
    {
    }
}

/// <summary>Lexicographic byte order, the order RocksDB keeps keys in.</summary>
public sealed class ByteComparer : IComparer<byte[]>
{
    public static ByteComparer Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());
}
