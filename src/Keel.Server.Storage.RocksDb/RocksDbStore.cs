using System.Runtime.InteropServices;
using Keel.Server.Storage.RocksDb;
using static Keel.Server.Storage.RocksDb.RocksDbNative;

namespace Keel.Server.Storage;

/// <summary>The embedded default: one RocksDB database, one column family per table, synced writes (see <see cref="CommitWithoutSync"/> for the one exception).</summary>
public sealed class RocksDbStore : IKeyValueStore
{
    private const string DefaultFamily = "default";
    private readonly nint _db;
    private readonly nint _options;
    private readonly nint _familyOptions;
    private readonly nint[] _allFamilies;
    private readonly nint[] _families;
    private readonly nint _syncWrites;
    private readonly nint _unsyncedWrites;

    // Writes made without a sync, counted, and how many of them a sync is known to cover: a commit
    // that must be durable but has nothing to write still syncs the log when some are not covered.
    private long _unsyncedCount;
    private long _syncedUpTo;
    private long _logSyncs;
    private readonly nint _reads;
    private int _disposed;

    // The store's own reference (dropped by Dispose) plus one per snapshot, scan and call in flight.
    private int _references = 1;

    /// <summary>The block cache when none is given (the server's <c>--rocksdb-block-cache</c> default).</summary>
    public const long DefaultBlockCacheBytes = 64L << 20;

    /// <summary>Opens the embedded storage of a server's data directory (its <c>db</c> folder).</summary>
    public static RocksDbStore OpenDataDirectory(string dataDirectory, long blockCacheBytes = DefaultBlockCacheBytes) =>
        new(Path.Combine(dataDirectory, "db"), blockCacheBytes);

    /// <param name="directory">The database's folder, created if missing.</param>
    /// <param name="blockCacheBytes">The capacity of the block cache all tables share (see <see cref="RocksDbTableOptions"/>).</param>
    public RocksDbStore(string directory, long blockCacheBytes = DefaultBlockCacheBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockCacheBytes);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Directory.CreateDirectory(directory);
        _options = rocksdb_options_create();
        rocksdb_options_set_create_if_missing(_options, 1);
        rocksdb_options_set_create_missing_column_families(_options, 1);

        // Keep the write-ahead log short (16 MiB) so a restart after kill -9 replays little.
        rocksdb_options_set_max_total_wal_size(_options, 16UL << 20);

        // What a restart replays from the write-ahead log stays in memory (the log is kept until a
        // regular flush) instead of being flushed to new table files before the database opens.
        rocksdb_options_set_avoid_flush_during_recovery(_options, 1);

        // Opening reads no statistics from every table file: the start does not grow with the data.
        rocksdb_options_set_skip_stats_update_on_db_open(_options, 1);

        // RocksDB wants every existing column family named when opening, its "default" one included.
        var tables = Enum.GetValues<Table>();
        string[] names = [DefaultFamily, .. tables.Select(t => t.ToString())];
        _familyOptions = rocksdb_options_create();
        RocksDbTableOptions.Apply(_familyOptions, blockCacheBytes);
        var namePointers = names.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        var handles = new nint[names.Length];
        nint error = 0;
        try
        {
            _db = rocksdb_open_column_families(_options, directory, names.Length, namePointers, [.. names.Select(_ => _familyOptions)], handles, ref error);
            RocksDbException.ThrowIfError(error);
        }
        catch
        {
            rocksdb_options_destroy(_familyOptions);
            rocksdb_options_destroy(_options);
            throw;
        }
        finally
        {
            foreach (var pointer in namePointers)
            {
                Marshal.ZeroFreeCoTaskMemUTF8(pointer);
            }
        }

        // Column family 0 is RocksDB's default one (unused); the tables follow in order.
        _allFamilies = handles;
        _families = new nint[(int)tables.Max() + 1];
        for (var i = 0; i < tables.Length; i++)
        {
            _families[(int)tables[i]] = handles[i + 1];
        }

        _syncWrites = rocksdb_writeoptions_create();
        rocksdb_writeoptions_set_sync(_syncWrites, 1);
        _unsyncedWrites = rocksdb_writeoptions_create();
        _reads = rocksdb_readoptions_create();
        OpenedIn = watch.Elapsed;
    }

    /// <summary>How long opening took (start-up diagnostics).</summary>
    public TimeSpan OpenedIn { get; }

    /// <summary>A consistent copy of the database in <paramref name="directory"/> (must not exist yet): <c>keel-server backup</c>.</summary>
    public void Checkpoint(string directory)
    {
        Acquire();
        try
        {
            RocksDbCheckpoint.Create(_db, directory);
        }
        finally
        {
            Release();
        }
    }

    private nint Family(Table table) => _families[(int)table];

    public byte[]? Get(Table table, ReadOnlySpan<byte> key) => Get(table, key, _reads);

    private byte[]? Get(Table table, ReadOnlySpan<byte> key, nint readOptions)
    {
        Acquire();
        try
        {
            nint error = 0;
            var value = rocksdb_get_cf(_db, readOptions, Family(table), key, (nuint)key.Length, out var length, ref error);
            RocksDbException.ThrowIfError(error);
            if (value == 0)
            {
                return null;
            }

            try
            {
                return Copy(value, length);
            }
            finally
            {
                rocksdb_free(value);
            }
        }
        finally
        {
            Release();
        }
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => Scan(table, from, to, snapshot: 0);

    private IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to, nint snapshot)
    {
        // Held until the iterator is destroyed: a store disposed mid-scan closes after it.
        Acquire();
        var readOptions = rocksdb_readoptions_create();
        nint bound = 0;
        nint iterator = 0;
        try
        {
            if (snapshot != 0)
            {
                rocksdb_readoptions_set_snapshot(readOptions, snapshot);
            }

            // An upper bound lets RocksDB stop at the range's end instead of reading past it; it
            // points into memory of ours, which lives until the iterator is destroyed.
            if (to is not null)
            {
                bound = Marshal.AllocHGlobal(Math.Max(1, to.Length));
                Marshal.Copy(to, 0, bound, to.Length);
                rocksdb_readoptions_set_iterate_upper_bound(readOptions, bound, (nuint)to.Length);
            }

            iterator = rocksdb_create_iterator_cf(_db, readOptions, Family(table));
            for (rocksdb_iter_seek(iterator, from, (nuint)from.Length); rocksdb_iter_valid(iterator) != 0; rocksdb_iter_next(iterator))
            {
                var key = Copy(rocksdb_iter_key(iterator, out var keyLength), keyLength);
                if (to is not null && key.AsSpan().SequenceCompareTo(to) >= 0)
                {
                    yield break;
                }

                yield return KeyValuePair.Create(key, Copy(rocksdb_iter_value(iterator, out var valueLength), valueLength));
            }

            nint error = 0;
            rocksdb_iter_get_error(iterator, ref error);
            RocksDbException.ThrowIfError(error);
        }
        finally
        {
            if (iterator != 0)
            {
                rocksdb_iter_destroy(iterator);
            }

            rocksdb_readoptions_destroy(readOptions);
            if (bound != 0)
            {
                Marshal.FreeHGlobal(bound);
            }

            Release();
        }
    }

    public IStoreSnapshot OpenSnapshot()
    {
        // The snapshot holds the database open until it is disposed (its release needs the database).
        Acquire();
        return new StoreSnapshot(this, rocksdb_create_snapshot(_db));
    }

    /// <summary>A RocksDB snapshot: reads see the database as of its creation, without blocking writers.</summary>
    private sealed class StoreSnapshot : IStoreSnapshot
    {
        private readonly RocksDbStore _store;
        private readonly nint _snapshot;
        private readonly nint _reads;
        private int _disposed;

        public StoreSnapshot(RocksDbStore store, nint snapshot)
        {
            _store = store;
            _snapshot = snapshot;
            _reads = rocksdb_readoptions_create();
            rocksdb_readoptions_set_snapshot(_reads, snapshot);
        }

        public byte[]? Get(Table table, ReadOnlySpan<byte> key) => _store.Get(table, key, _reads);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => _store.Scan(table, from, to, _snapshot);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                rocksdb_readoptions_destroy(_reads);
                rocksdb_release_snapshot(_store._db, _snapshot);
                _store.Release();
            }
        }
    }

    public void Commit(IReadOnlyList<WriteOp> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        // Read before writing: every unsynced write finished by now is in the log ahead of this one, so
        // this commit's sync covers it.
        var covers = Interlocked.Read(ref _unsyncedCount);
        if (writes.Count == 0)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (covers > Interlocked.Read(ref _syncedUpTo))
            {
                SyncLog();
                RecordSynced(covers);
            }

            return;
        }

        Write(writes, _syncWrites);
        RecordSynced(covers);
    }

    /// <summary>
    /// Writes atomically into the write-ahead log without waiting for the disk: it survives the process
    /// being killed (the log is in the kernel's hands), and a power cut only once a later synced commit
    /// returned — the log is synced in order, so that sync covers it.
    /// </summary>
    public void CommitWithoutSync(IReadOnlyList<WriteOp> writes)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return;
        }

        Write(writes, _unsyncedWrites);
        Interlocked.Increment(ref _unsyncedCount);
    }

    private void RecordSynced(long covers)
    {
        for (var seen = Interlocked.Read(ref _syncedUpTo); covers > seen; seen = Interlocked.Read(ref _syncedUpTo))
        {
            if (Interlocked.CompareExchange(ref _syncedUpTo, covers, seen) == seen)
            {
                return;
            }
        }
    }

    /// <summary>How often an empty durable commit had to sync the log for earlier unsynced writes (for tests).</summary>
    internal long LogSyncs => Interlocked.Read(ref _logSyncs);

    private void SyncLog()
    {
        Interlocked.Increment(ref _logSyncs);
        Acquire();
        try
        {
            nint error = 0;
            rocksdb_flush_wal(_db, 1, ref error);
            RocksDbException.ThrowIfError(error);
        }
        finally
        {
            Release();
        }
    }

    private void Write(IReadOnlyList<WriteOp> writes, nint options)
    {
        Acquire();
        var batch = rocksdb_writebatch_create();
        try
        {
            foreach (var write in writes)
            {
                if (write.Value is null)
                {
                    rocksdb_writebatch_delete_cf(batch, Family(write.Table), write.Key, (nuint)write.Key.Length);
                }
                else
                {
                    rocksdb_writebatch_put_cf(batch, Family(write.Table), write.Key, (nuint)write.Key.Length, write.Value, (nuint)write.Value.Length);
                }
            }

            nint error = 0;
            rocksdb_write(_db, options, batch, ref error);
            RocksDbException.ThrowIfError(error);
        }
        finally
        {
            rocksdb_writebatch_destroy(batch);
            Release();
        }
    }

    /// <summary>
    /// Disposing drops the store's own reference; the database closes when the last reader (a
    /// snapshot, a scan in progress, a call in flight) lets go of it, never under one: closing under
    /// a live snapshot or iterator would free memory RocksDB then reads.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Release();
    }

    private void Acquire()
    {
        while (true)
        {
            var references = Volatile.Read(ref _references);
            if (references == 0 || _disposed != 0)
            {
                throw new ObjectDisposedException(nameof(RocksDbStore));
            }

            if (Interlocked.CompareExchange(ref _references, references + 1, references) == references)
            {
                return;
            }
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Close();
        }
    }

    private void Close()
    {
        // A clean stop leaves nothing to a power cut: writes made without a sync are synced first
        // (best effort: a log that cannot be synced now was already failing the commits).
        if (Interlocked.Read(ref _unsyncedCount) > Interlocked.Read(ref _syncedUpTo))
        {
            nint error = 0;
            rocksdb_flush_wal(_db, 1, ref error);
            if (error != 0)
            {
                RocksDbNative.rocksdb_free(error);
            }
        }

        foreach (var family in _allFamilies)
        {
            rocksdb_column_family_handle_destroy(family);
        }

        rocksdb_close(_db);
        rocksdb_readoptions_destroy(_reads);
        rocksdb_writeoptions_destroy(_syncWrites);
        rocksdb_writeoptions_destroy(_unsyncedWrites);
        rocksdb_options_destroy(_familyOptions);
        rocksdb_options_destroy(_options);
    }
}
