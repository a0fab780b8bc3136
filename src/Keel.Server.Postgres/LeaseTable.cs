using Npgsql;
using NpgsqlTypes;

namespace Keel.Server.Postgres;

/// <summary>A partition's lease as the database has it.</summary>
public sealed record PartitionLease(int Partition, string? Owner, long Epoch, DateTimeOffset ExpiresAt);

/// <summary>A node of the cluster as the database has it.</summary>
/// <param name="InternalUrl">Where it takes node-to-node requests; null for a node of a release before the internal listener.</param>
public sealed record ClusterMember(string Node, Uri IngressUrl, Uri AdminUrl, DateTimeOffset StartedAt, DateTimeOffset HeartbeatAt, Uri? InternalUrl = null);

/// <summary>Leases and members as of one read, with the database's clock at that moment.</summary>
public sealed record ClusterView(IReadOnlyList<PartitionLease> Leases, IReadOnlyList<ClusterMember> Members, DateTimeOffset Now);

/// <summary>
/// The cluster's membership and partition leases in PostgreSQL. Every time comparison uses the
/// database's clock (<c>now()</c>), so nodes with skewed clocks still agree on who holds what.
/// Taking a lease over bumps its epoch; batches commit only under the epoch they were started with.
/// </summary>
public sealed class LeaseTable
{
    private readonly NpgsqlDataSource _db;

    public LeaseTable(PostgresStore store)
        : this((store ?? throw new ArgumentNullException(nameof(store))).DataSource)
    {
    }

    /// <summary>On connections of its own (<see cref="PostgresStore.OpenDedicatedDataSource"/>), which the caller disposes.</summary>
    public LeaseTable(NpgsqlDataSource db) => _db = db;

    /// <summary>Makes sure every partition has a lease row (free at first).</summary>
    public void EnsurePartitions(int count)
    {
        using var command = _db.CreateCommand("INSERT INTO keel_leases (partition) SELECT generate_series(0, $1 - 1) ON CONFLICT DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = count });
        command.ExecuteNonQuery();
    }

    /// <summary>Records that this node is alive and where it answers.</summary>
    public void Heartbeat(string node, Uri ingressUrl, Uri adminUrl, Uri? internalUrl = null)
    {
        using var command = _db.CreateCommand("""
            INSERT INTO keel_nodes (node, ingress_url, admin_url, internal_url, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, now(), now())
            ON CONFLICT (node) DO UPDATE SET ingress_url = EXCLUDED.ingress_url, admin_url = EXCLUDED.admin_url, internal_url = EXCLUDED.internal_url, heartbeat_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ingressUrl.ToString() });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = adminUrl.ToString() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)internalUrl?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.ExecuteNonQuery();
    }

    /// <summary>Extends every lease this node holds; returns them (any missing one was taken over by another node).</summary>
    public IReadOnlyList<PartitionLease> Renew(string node, TimeSpan lease)
    {
        using var command = _db.CreateCommand(
            "UPDATE keel_leases SET expires_at = now() + $2 WHERE owner = $1 RETURNING partition, owner, epoch, expires_at");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        return ReadLeases(command);
    }

    /// <summary>
    /// Takes one free lease, or one whose holder let it expire, for this node with a new epoch; null
    /// when there is none. Free ones first, so a node that left cleanly is replaced before a slow one.
    /// </summary>
    public PartitionLease? TryAcquire(string node, TimeSpan lease)
    {
        using var command = _db.CreateCommand("""
            UPDATE keel_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $2
            WHERE l.partition = (
                SELECT partition FROM keel_leases
                WHERE owner IS NULL OR (expires_at < now() AND owner <> $1)
                ORDER BY owner IS NULL DESC, partition
                LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING l.partition, l.owner, l.epoch, l.expires_at
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease, NpgsqlDbType = NpgsqlDbType.Interval });
        return ReadLeases(command) is [var taken] ? taken : null;
    }

    /// <summary>Gives a lease back at once (its partition stopped here first), so another node need not wait for it to expire.</summary>
    public void Release(string node, int partition)
    {
        using var command = _db.CreateCommand("UPDATE keel_leases SET owner = NULL, expires_at = 'epoch' WHERE partition = $2 AND owner = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = node });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.ExecuteNonQuery();
    }

    /// <summary>A clean shutdown: every lease of this node given back, the node struck off.</summary>
    public void Leave(string node)
    {
        using var batch = _db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE keel_leases SET owner = NULL, expires_at = 'epoch' WHERE owner = $1") { Parameters = { new NpgsqlParameter<string> { TypedValue = node } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM keel_nodes WHERE node = $1") { Parameters = { new NpgsqlParameter<string> { TypedValue = node } } });
        batch.ExecuteNonQuery();
    }

    /// <summary>Every lease and member, and the database's clock (for "alive" and "expired").</summary>
    public ClusterView Read()
    {
        using var batch = _db.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT partition, owner, epoch, expires_at FROM keel_leases ORDER BY partition"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT node, ingress_url, admin_url, started_at, heartbeat_at, internal_url FROM keel_nodes ORDER BY node"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT now()"));
        using var reader = batch.ExecuteReader();
        var leases = new List<PartitionLease>();
        while (reader.Read())
        {
            leases.Add(LeaseOf(reader));
        }

        reader.NextResult();
        var members = new List<ClusterMember>();
        while (reader.Read())
        {
            members.Add(new ClusterMember(reader.GetString(0), new Uri(reader.GetString(1)), new Uri(reader.GetString(2)),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : new Uri(reader.GetString(5))));
        }

        reader.NextResult();
        reader.Read();
        return new ClusterView(leases, members, reader.GetFieldValue<DateTimeOffset>(0));
    }

    private static List<PartitionLease> ReadLeases(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var leases = new List<PartitionLease>();
        while (reader.Read())
        {
            leases.Add(LeaseOf(reader));
        }

        return leases;
    }

    private static PartitionLease LeaseOf(NpgsqlDataReader reader) =>
        new(reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3));
}
