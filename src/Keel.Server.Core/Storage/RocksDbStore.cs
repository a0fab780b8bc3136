using RocksDbSharp;

namespace Keel.Server.Storage;

/// <summary>The embedded default: one RocksDB database, one column family per table, synced writes.</summary>
public sealed class RocksDbStore : IKeyValueStore
{
    private readonly RocksDb _db;
    private readonly Dictionary<Table, ColumnFamilyHandle> _families = [];
    private readonly WriteOptions _syncWrites = new WriteOptions().SetSync(true);

    public RocksDbStore(string directory)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(directory);
        var families = new ColumnFamilies();
        foreach (var table in Enum.GetValues<Table>())
        {
            families.Add(table.ToString(), new ColumnFamilyOptions());
        }

        var options = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            // Keep the write-ahead log short (16 MiB) so a restart after kill -9 replays little.
            .SetMaxTotalWalSize(16L << 20);
        _db = RocksDb.Open(options, directory, families);
        foreach (var table in Enum.GetValues<Table>())
        {
            _families[table] = _db.GetColumnFamily(table.ToString());
        }

        OpenedIn = watch.Elapsed;
    }

    /// <summary>How long opening took (start-up diagnostics).</summary>
    public TimeSpan OpenedIn { get; }

    public byte[]? Get(Table table, ReadOnlySpan<byte> key) => _db.Get(key.ToArray(), _families[table]);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => Scan(table, from, to, snapshot: null);

    private IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to, Snapshot? snapshot)
    {
        // An upper bound lets RocksDB stop at the range's end instead of reading past it.
        var readOptions = new ReadOptions();
        if (to is not null)
        {
            readOptions.SetIterateUpperBound(to);
        }

        if (snapshot is not null)
        {
            readOptions.SetSnapshot(snapshot);
        }

        using var iterator = _db.NewIterator(_families[table], readOptions);
        for (iterator.Seek(from); iterator.Valid(); iterator.Next())
        {
            var key = iterator.Key();
            if (to is not null && key.AsSpan().SequenceCompareTo(to) >= 0)
            {
                yield break;
            }

            yield return KeyValuePair.Create(key, iterator.Value());
        }
    }

    public IStoreSnapshot OpenSnapshot() => new StoreSnapshot(this, _db.CreateSnapshot());

    /// <summary>A RocksDB snapshot: reads see the database as of its creation, without blocking writers.</summary>
    private sealed class StoreSnapshot(RocksDbStore store, Snapshot snapshot) : IStoreSnapshot
    {
        private readonly ReadOptions _read = new ReadOptions().SetSnapshot(snapshot);

        public byte[]? Get(Table table, ReadOnlySpan<byte> key) => store._db.Get(key.ToArray(), store._families[table], _read);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => store.Scan(table, from, to, snapshot);

        public void Dispose() => snapshot.Dispose();
    }

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            return;
        }

        using var batch = new WriteBatch();
        foreach (var write in writes)
        {
            if (write.Value is null)
            {
                batch.Delete(write.Key, _families[write.Table]);
            }
            else
            {
                batch.Put(write.Key, write.Value, _families[write.Table]);
            }
        }

        _db.Write(batch, _syncWrites);
    }

    public void Dispose() => _db.Dispose();
}
