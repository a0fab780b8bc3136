using Npgsql;

namespace Keel.Server.Postgres;

/// <summary>
/// A session-level PostgreSQL advisory lock held on a connection of its own: nodes of a cluster take
/// turns at one-off work on the shared database (a storage migration at start). Released on dispose,
/// or by the database when the connection dies with its node.
/// </summary>
public sealed class AdvisoryLock : IDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly long _key;

    private AdvisoryLock(NpgsqlConnection connection, long key)
    {
        _connection = connection;
        _key = key;
    }

    /// <summary>Waits until the lock named <paramref name="key"/> is free, and takes it.</summary>
    public static AdvisoryLock Take(PostgresStore store, long key)
    {
        ArgumentNullException.ThrowIfNull(store);
        var connection = store.DataSource.OpenConnection();
        try
        {
            using var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection) { Parameters = { new NpgsqlParameter<long> { TypedValue = key } } };
            take.ExecuteNonQuery();
            return new AdvisoryLock(connection, key);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", _connection) { Parameters = { new NpgsqlParameter<long> { TypedValue = _key } } };
            release.ExecuteNonQuery();
        }
        catch (NpgsqlException)
        {
            // The connection is gone: the database released the lock with it.
        }
        finally
        {
            _connection.Dispose();
        }
    }
}
