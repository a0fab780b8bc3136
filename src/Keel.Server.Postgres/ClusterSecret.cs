using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Keel.Server.Postgres;

/// <summary>
/// The key nodes sign their requests to each other with, kept in the cluster's database: whoever can
/// read it can already write the cluster's data, and every node finds it there with no setup. The
/// first node to start creates it; the others read that one.
/// </summary>
public static class ClusterSecret
{
    /// <summary>The secret's length in bytes.</summary>
    public const int Length = 32;

    public static byte[] LoadOrCreate(PostgresStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        using (var insert = store.DataSource.CreateCommand("INSERT INTO keel_cluster_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING"))
        {
            insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = RandomNumberGenerator.GetBytes(Length), NpgsqlDbType = NpgsqlDbType.Bytea });
            insert.ExecuteNonQuery();
        }

        using var read = store.DataSource.CreateCommand("SELECT secret FROM keel_cluster_secret WHERE id = 1");
        return read.ExecuteScalar() as byte[] is { Length: Length } secret
            ? secret
            : throw new InvalidOperationException("The cluster secret in keel_cluster_secret is not 32 bytes long; delete the row to have a new one made.");
    }
}
