using System.Data;
using Keel.Server.Storage;
using Npgsql;

namespace Keel.Server.Postgres;

/// <summary>
/// The store as of one moment: a read-only repeatable-read transaction, held on its own connection
/// until disposed, sees none of the batches committed after its first read.
/// </summary>
internal sealed class PostgresSnapshot : IStoreSnapshot
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Lock _gate = new();

    public PostgresSnapshot(NpgsqlConnection connection)
    {
        _connection = connection;
        _transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        using var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, _transaction);
        readOnly.ExecuteNonQuery();
        // The snapshot is taken by the first statement of the transaction: take it now, not at the first read.
        using var pin = new NpgsqlCommand("SELECT 1", connection, _transaction);
        pin.ExecuteScalar();
    }

    public byte[]? Get(Table table, ReadOnlySpan<byte> key)
    {
        lock (_gate)
        {
            return PostgresReads.Get(_connection, _transaction, table, key);
        }
    }

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) =>
        PostgresReads.Scan((next, exclusive) =>
        {
            lock (_gate)
            {
                return PostgresReads.ScanChunk(_connection, _transaction, table, next, exclusive, to);
            }
        }, from);

    public void Dispose()
    {
        _transaction.Dispose();
        _connection.Dispose();
    }
}
