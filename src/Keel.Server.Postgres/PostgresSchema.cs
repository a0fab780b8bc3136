using Npgsql;

namespace Keel.Server.Postgres;

/// <summary>
/// The server's tables in PostgreSQL, created and versioned by the server on start. Every runtime
/// table of the storage seam is one key range of <c>keel_kv</c> (table number, key): the runtime's
/// keys already carry their partition key in front, so a partition's rows are one index range.
/// <c>keel_nodes</c> and <c>keel_leases</c> are the cluster's membership and partition leases;
/// <c>keel_cluster_secret</c> the key nodes sign their requests to each other with.
/// <c>keel_check_lease</c> fails a fenced batch's transaction in the database itself, so the check
/// travels in the same round trip as the writes (a function added, not a layout change).
/// The schema registry's document (deployments, services, operator settings) is the one row of
/// <c>keel_schema_registry</c>, so every node sees the same registrations.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>SQLSTATE raised by <c>keel_check_lease</c> when the lease is no longer held as the batch expects.</summary>
    public const string LeaseLost = "KL001";

    /// <summary>
    /// The layout this build reads and writes; a database with a newer one is refused. Adding a table
    /// that is created when missing (as <c>keel_schema_registry</c> was) keeps the layout: a database
    /// created before gets the table on the next start and reads as before.
    /// </summary>
    public const int Version = 1;

    private const string Create = """
        CREATE TABLE IF NOT EXISTS keel_schema_version (
            version integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS keel_kv (
            tbl smallint NOT NULL,
            key bytea NOT NULL,
            value bytea NOT NULL,
            PRIMARY KEY (tbl, key)
        );
        CREATE TABLE IF NOT EXISTS keel_nodes (
            node text PRIMARY KEY,
            ingress_url text NOT NULL,
            admin_url text NOT NULL,
            started_at timestamptz NOT NULL,
            heartbeat_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS keel_leases (
            partition integer PRIMARY KEY,
            owner text,
            epoch bigint NOT NULL DEFAULT 0,
            expires_at timestamptz NOT NULL DEFAULT 'epoch'
        );
        CREATE TABLE IF NOT EXISTS keel_schema_registry (
            id smallint PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL,
            document bytea NOT NULL
        );
        ALTER TABLE keel_nodes ADD COLUMN IF NOT EXISTS internal_url text;
        CREATE TABLE IF NOT EXISTS keel_cluster_secret (
            id smallint PRIMARY KEY CHECK (id = 1),
            secret bytea NOT NULL
        );
        CREATE OR REPLACE FUNCTION keel_check_lease(p integer, n text, e bigint) RETURNS void LANGUAGE plpgsql AS $fn$
        DECLARE
            held_by text;
            held_at bigint;
        BEGIN
            SELECT owner, epoch INTO held_by, held_at FROM keel_leases WHERE partition = p FOR SHARE;
            IF held_by IS DISTINCT FROM n OR held_at IS DISTINCT FROM e THEN
                RAISE EXCEPTION USING ERRCODE = 'KL001', MESSAGE = format(
                    'the lease of partition %s is held by %s at epoch %s, not by %s at epoch %s',
                    p, coalesce(held_by, 'nobody'), coalesce(held_at, -1), n, e);
            END IF;
        END
        $fn$;
        """;

    /// <summary>Creates the tables when missing (one transaction, serialised by an advisory lock so that nodes starting together agree) and checks the version.</summary>
    public static void Ensure(NpgsqlDataSource dataSource)
    {
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "SELECT pg_advisory_xact_lock(7314201)");
        Execute(connection, transaction, Create);
        using (var read = new NpgsqlCommand("SELECT max(version) FROM keel_schema_version", connection, transaction))
        {
            var found = read.ExecuteScalar();
            if (found is int version)
            {
                if (version > Version)
                {
                    throw new InvalidOperationException(
                        $"The database holds Keel storage layout {version}; this server reads layout {Version}. Run a newer Keel server.");
                }
            }
            else
            {
                Execute(connection, transaction, $"INSERT INTO keel_schema_version (version) VALUES ({Version})");
            }
        }

        transaction.Commit();
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
