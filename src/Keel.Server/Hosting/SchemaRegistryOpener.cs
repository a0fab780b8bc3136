using Keel.Server.Admin;
using Keel.Server.Postgres;
using Keel.Server.Storage;
using Npgsql;

namespace Keel.Server.Hosting;

/// <summary>Opens the schema registry where the settings keep the runtime's tables.</summary>
internal static class SchemaRegistryOpener
{
    /// <summary>
    /// On PostgreSQL the registry is a row of the same database, shared by every node on it; otherwise
    /// <c>schema.json</c> in the data directory, as it always was.
    /// </summary>
    /// <exception cref="KeelServerStartException">The database cannot be used.</exception>
    public static SchemaRegistry Open(ServerSettings settings, ILogger? logger = null)
    {
        if (settings.Storage != StorageKind.Postgres)
        {
            return new SchemaRegistry(settings.DataDirectory);
        }

        PostgresSchemaDocumentStore? store = null;
        try
        {
            store = PostgresSchemaDocumentStore.Open(settings.PostgresConnectionString!);
            ImportDataDirectory(store, settings.DataDirectory);
            return new SchemaRegistry(store, logger: logger);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            store?.Dispose();
            throw new KeelServerStartException($"cannot open the schema registry on {StorageOpener.Describe(settings)}: {e.Message}", e);
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
