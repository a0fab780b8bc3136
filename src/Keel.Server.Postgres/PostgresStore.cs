using Keel.Server.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Keel.Server.Postgres;

/// <summary>
/// The storage seam on PostgreSQL: point reads and ordered range scans are index lookups on
/// <c>keel_kv</c>'s primary key, and each batch is one transaction committed synchronously (the
/// server's default <c>synchronous_commit</c>), so nothing is acknowledged before the database has
/// it on disk. A snapshot is a read-only repeatable-read transaction on its own connection.
/// </summary>
public sealed class PostgresStore : IKeyValueStore
{
    /// <summary>SQLSTATE 25P03: the database ended a session idle inside a transaction for too long.</summary>
    private const string IdleInTransactionSessionTimeout = "25P03";

    private readonly NpgsqlDataSource _dataSource;

    /// <summary>The full connection string, options included (the data source's own leaves the password out).</summary>
    private readonly string _connectionString;

    private PostgresStore(NpgsqlDataSource dataSource, string connectionString)
    {
        _dataSource = dataSource;
        _connectionString = connectionString;
    }

    /// <summary>
    /// A small pool of its own on the same database, with the same settings: the lease loop renews on it,
    /// so a node whose partitions keep every pooled connection busy still renews in time.
    /// </summary>
    public NpgsqlDataSource OpenDedicatedDataSource(string applicationName, int maxConnections)
    {
        var builder = new NpgsqlDataSourceBuilder(_connectionString);
        builder.ConnectionStringBuilder.ApplicationName = applicationName;
        builder.ConnectionStringBuilder.MaxPoolSize = maxConnections;
        builder.ConnectionStringBuilder.MinPoolSize = 1;
        return builder.Build();
    }

    /// <summary>Connects, creates or checks the schema, and returns the store.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="stalledTransactionLimit">
    /// How long the database lets one of this store's transactions sit idle between two statements
    /// before it ends the session. A node frozen in the middle of a batch (a long pause, SIGSTOP)
    /// would otherwise hold that batch's row locks, its lease row among them, and no other node could
    /// take the partition over; the cluster passes its lease time. Null: the database's setting.
    /// </param>
    /// <exception cref="InvalidOperationException">The database holds a newer storage layout.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached or refuses the connection.</exception>
    public static PostgresStore Open(string connectionString, TimeSpan? stalledTransactionLimit = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);

        // Acknowledged means durable: a commit returns only once the database flushed it, whatever
        // the database's own default for synchronous_commit is.
        var options = "-c synchronous_commit=on";
        if (stalledTransactionLimit is { } limit)
        {
            options += $" -c idle_in_transaction_session_timeout={(long)limit.TotalMilliseconds}";

            // A statement must end well within a lease: a node blocked on a stalled database for longer
            // would keep running attempts beside the partition's new owner. A third of the lease (at
            // least 2 s, Npgsql counts whole seconds) leaves room for the lease loop to notice and stop
            // serving; Npgsql's default is 30 s. The lease loop's watchdog covers what a timeout cannot.
            if (builder.ConnectionStringBuilder.CommandTimeout == 30)
            {
                builder.ConnectionStringBuilder.CommandTimeout = Math.Max(2, (int)(limit.TotalSeconds / 3));
            }
        }

        builder.ConnectionStringBuilder.Options = string.IsNullOrWhiteSpace(builder.ConnectionStringBuilder.Options)
            ? options
            : builder.ConnectionStringBuilder.Options + " " + options;

        // The same few statements run all the time: let Npgsql prepare them on the server once per connection.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        }

        // Every read and batch borrows a pooled connection for one statement; resetting the session on each
        // return (RESET ALL, UNLISTEN, advisory unlocks...) would cost the database a few statements per
        // read. This store sets no session state; the one session-level lock (AdvisoryLock) is released explicitly.
        builder.ConnectionStringBuilder.NoResetOnClose = true;

        var dataSource = builder.Build();
        try
        {
            PostgresSchema.Ensure(dataSource);
            return new PostgresStore(dataSource, builder.ConnectionString);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    public byte[]? Get(Table table, ReadOnlySpan<byte> key)
    {
        using var connection = _dataSource.OpenConnection();
        return PostgresReads.Get(connection, null, table, key);
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) =>
        PostgresReads.Scan((next, exclusive) =>
        {
            using var connection = _dataSource.OpenConnection();
            return PostgresReads.ScanChunk(connection, null, table, next, exclusive, to);
        }, from);

    /// <summary>One chunk of a scan (at most <see cref="PostgresReads.ChunkRows"/> rows), read at once.</summary>
    internal List<KeyValuePair<byte[], byte[]>> ScanChunk(Table table, byte[] from, bool exclusive, byte[]? to)
    {
        using var connection = _dataSource.OpenConnection();
        return PostgresReads.ScanChunk(connection, null, table, from, exclusive, to);
    }

    /// <summary>A lazy scan of the keys after <paramref name="after"/> (exclusive) and before <paramref name="to"/>.</summary>
    internal IEnumerable<KeyValuePair<byte[], byte[]>> ScanAfter(Table table, byte[] after, byte[]? to) =>
        PostgresReads.Scan((next, exclusive) => ScanChunk(table, next, exclusive, to), after, exclusive: true);

    public void Commit(IReadOnlyList<WriteOp> writes) => Commit(writes, fence: null);

    /// <summary>
    /// Commits a batch; with a <paramref name="fence"/>, only while that lease is still held. The lease
    /// check, the deletes and the upserts go to the database as one pipelined batch, which PostgreSQL
    /// runs as one implicit transaction: one network round trip per commit. The check
    /// (<c>keel_check_lease</c>) reads the lease row with a share lock, so no node can take the lease
    /// over between it and the commit, and a failed check aborts the writes with it.
    /// </summary>
    /// <exception cref="PartitionFencedException">The lease is held by another node now; nothing was written.</exception>
    public void Commit(IReadOnlyList<WriteOp> writes, LeaseFence? fence)
    {
        try
        {
            CommitBatch(writes, fence);
        }
        catch (PostgresException e) when (fence is not null && e.SqlState == PostgresSchema.LeaseLost)
        {
            throw new PartitionFencedException(e.MessageText, e);
        }
        catch (PostgresException e) when (fence is not null && e.SqlState == IdleInTransactionSessionTimeout)
        {
            // This node stalled inside a transaction for longer than the lease time; the database ended the
            // session (and rolled it back) so that others can take the partition: treat it as lost.
            throw new PartitionFencedException($"this node stalled for longer than its lease inside a batch of partition {fence.Partition}; the database ended that transaction", e);
        }
    }

    private void CommitBatch(IReadOnlyList<WriteOp> writes, LeaseFence? fence)
    {
        ArgumentNullException.ThrowIfNull(writes);
        if (writes.Count == 0 && fence is null)
        {
            return;
        }

        var (puts, deletes) = FinalWrites(writes);
        using var connection = _dataSource.OpenConnection();

        // No explicit transaction: the statements of one batch share one implicit transaction, committed
        // (synchronously) when the batch ends or rolled back whole at its first error.
        using var batch = new NpgsqlBatch(connection);
        if (fence is not null)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT keel_check_lease($1, $2, $3)")
            {
                Parameters =
                {
                    new NpgsqlParameter<int> { TypedValue = fence.Partition },
                    new NpgsqlParameter<string> { TypedValue = fence.Node },
                    new NpgsqlParameter<long> { TypedValue = fence.Epoch },
                },
            });
        }

        if (deletes.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                "DELETE FROM keel_kv k USING unnest($1::smallint[], $2::bytea[]) AS d(tbl, key) WHERE k.tbl = d.tbl AND k.key = d.key")
            {
                Parameters =
                {
                    new NpgsqlParameter<short[]> { TypedValue = [.. deletes.Select(w => (short)w.Table)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint },
                    new NpgsqlParameter<byte[][]> { TypedValue = [.. deletes.Select(w => w.Key)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                },
            });
        }

        if (puts.Count > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(
                "INSERT INTO keel_kv (tbl, key, value) SELECT * FROM unnest($1::smallint[], $2::bytea[], $3::bytea[]) " +
                "ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value")
            {
                Parameters =
                {
                    new NpgsqlParameter<short[]> { TypedValue = [.. puts.Select(w => (short)w.Table)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint },
                    new NpgsqlParameter<byte[][]> { TypedValue = [.. puts.Select(w => w.Key)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                    new NpgsqlParameter<byte[][]> { TypedValue = [.. puts.Select(w => w.Value!)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea },
                },
            });
        }

        batch.ExecuteNonQuery();
    }

    /// <summary>The data source, for the cluster's lease table on the same database.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// The last write per key, split into puts and deletes: a batch may write one key twice (put then
    /// delete, or the reverse), and one upsert statement may not touch a row twice.
    /// </summary>
    private static (List<WriteOp> Puts, List<WriteOp> Deletes) FinalWrites(IReadOnlyList<WriteOp> writes)
    {
        var last = new Dictionary<(Table, byte[]), WriteOp>(writes.Count, TableKeyComparer.Instance);
        foreach (var write in writes)
        {
            last[(write.Table, write.Key)] = write;
        }

        var puts = new List<WriteOp>(last.Count);
        var deletes = new List<WriteOp>();
        foreach (var write in last.Values)
        {
            (write.Value is null ? deletes : puts).Add(write);
        }

        return (puts, deletes);
    }

    public IStoreSnapshot OpenSnapshot() => new PostgresSnapshot(_dataSource.OpenConnection());

    public void Dispose() => _dataSource.Dispose();

    private sealed class TableKeyComparer : IEqualityComparer<(Table Table, byte[] Key)>
    {
        public static TableKeyComparer Instance { get; } = new();

        public bool Equals((Table Table, byte[] Key) x, (Table Table, byte[] Key) y) =>
            x.Table == y.Table && ByteComparer.Instance.Equals(x.Key, y.Key);

        public int GetHashCode((Table Table, byte[] Key) obj) => HashCode.Combine(obj.Table, ByteComparer.Instance.GetHashCode(obj.Key));
    }
}
