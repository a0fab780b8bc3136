using Keel.Server.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Keel.Server.Postgres;

/// <summary>
/// The schema document in one row of <c>keel_schema_registry</c>, shared by every node on the
/// database. A save is one statement that writes only if the version is still the one the writer
/// read (<c>UPDATE … WHERE version = expected</c>, or an insert that does nothing if a row exists):
/// PostgreSQL re-checks the condition after waiting for a concurrent writer's row lock, so of two
/// writers of the same version exactly one succeeds and the other reads again.
/// </summary>
public sealed class PostgresSchemaDocumentStore : ISchemaDocumentStore
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresSchemaDocumentStore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Connects, creates or checks the server's tables, and returns the store.</summary>
    /// <exception cref="InvalidOperationException">The database holds a newer storage layout.</exception>
    /// <exception cref="NpgsqlException">The database cannot be reached or refuses the connection.</exception>
    public static PostgresSchemaDocumentStore Open(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            PostgresSchema.Ensure(dataSource);
            return new PostgresSchemaDocumentStore(dataSource);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    public bool IsShared => true;

    public StoredDocument Load()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT version, document FROM keel_schema_registry WHERE id = 1", connection);
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredDocument(reader.GetFieldValue<byte[]>(1), reader.GetInt64(0)) : new StoredDocument(null, 0);
    }

    public long ReadVersion()
    {
        using var connection = _dataSource.OpenConnection();
        using var command = new NpgsqlCommand("SELECT version FROM keel_schema_registry WHERE id = 1", connection);
        return command.ExecuteScalar() is long version ? version : 0;
    }

    public bool TrySave(byte[] content, long expectedVersion)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var connection = _dataSource.OpenConnection();
        using var command = expectedVersion == 0
            ? new NpgsqlCommand("INSERT INTO keel_schema_registry (id, version, document) VALUES (1, 1, $1) ON CONFLICT (id) DO NOTHING", connection)
            : new NpgsqlCommand("UPDATE keel_schema_registry SET version = version + 1, document = $1 WHERE id = 1 AND version = $2", connection);
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = content, NpgsqlDbType = NpgsqlDbType.Bytea });
        if (expectedVersion != 0)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = expectedVersion, NpgsqlDbType = NpgsqlDbType.Bigint });
        }

        return command.ExecuteNonQuery() == 1;
    }

    public void Dispose() => _dataSource.Dispose();
}
