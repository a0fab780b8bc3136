using Keel.Server.Admin;
using Keel.Server.Hosting;
using Keel.Server.Postgres;
using Keel.Server.Storage;
using Npgsql;

namespace Keel.Server.Cluster;

/// <summary>
/// The storage setting "postgres": the runtime's tables, the schema registry and the partition leases
/// in one PostgreSQL database shared by every node on it. The runtime starts through the cluster
/// (<see cref="ClusterHandle"/>): a node serves only the partitions it leases.
/// </summary>
internal sealed class PostgresStorage(ClusterHandle cluster) : StorageBackend
{
    public override StorageKind Kind => StorageKind.Postgres;

    // A database that is restarting or briefly out of reach is waited for (DatabaseStartWait); the schema registry,
    // opened at the same time, logs the waiting.
    public override IKeyValueStore Open(ServerSettings settings) =>
        DatabaseStartWait.Run(() => PostgresStore.Open(settings.PostgresConnectionString!, stalledTransactionLimit: settings.LeaseTime), Describe(settings), logger: null);

    public override bool IsUnavailable(Exception e) => e is NpgsqlException;

    public override Task StartRuntimeAsync(IKeyValueStore store, KeelRuntime runtime, ServerSettings settings, ILogger logger) =>
        cluster.StartAsync(store, runtime, settings, logger);

    /// <summary>
    /// The registry is a row of the same database, shared by every node on it. A database out of reach is waited for
    /// (<see cref="DatabaseStartWait"/>).
    /// </summary>
    /// <exception cref="KeelServerStartException">The database cannot be used.</exception>
    public override SchemaRegistry OpenSchemaRegistry(ServerSettings settings, ILogger logger)
    {
        PostgresSchemaDocumentStore? store = null;
        try
        {
            store = DatabaseStartWait.Run(() =>
            {
                var opened = PostgresSchemaDocumentStore.Open(settings.PostgresConnectionString!);
                try
                {
                    ImportDataDirectory(opened, settings.DataDirectory);
                    return opened;
                }
                catch
                {
                    opened.Dispose();
                    throw;
                }
            }, Describe(settings), logger);
            return new SchemaRegistry(store, settings.TestSchemaPollInterval, logger);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            store?.Dispose();
            throw new KeelServerStartException($"cannot open the schema registry on {Describe(settings)}: {e.Message}", e);
        }
    }

    /// <summary>The database in words for messages, never with a password.</summary>
    public override string Describe(ServerSettings settings)
    {
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
            return $"the PostgreSQL database {connection.Database ?? connection.Username} on {connection.Host}:{connection.Port}";
        }
        catch (ArgumentException)
        {
            return "the PostgreSQL database (the connection string is malformed)";
        }
    }

    /// <summary>
    /// A server on PostgreSQL storage of an earlier version kept its deployments in the data directory:
    /// a database without a schema document yet starts from that file, so an upgrade keeps them. If
    /// another node saves first, its document stays and the file is ignored.
    /// </summary>
    private static void ImportDataDirectory(ISchemaDocumentStore store, string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "schema.json");
        if (store.ReadVersion() == 0 && File.Exists(file))
        {
            using var local = new FileSchemaDocumentStore(dataDirectory);
            if (local.Load().Content is { } content)
            {
                store.TrySave(content, 0);
            }
        }
    }
}
