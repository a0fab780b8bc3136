using Keel.Server.Admin;
using Keel.Server.Storage;

namespace Keel.Server.Hosting;

/// <summary>The default, single-node storage: RocksDB and <c>schema.json</c> in the data directory.</summary>
internal sealed class EmbeddedStorage : StorageBackend
{
    public static readonly EmbeddedStorage Instance = new();

    public override StorageKind Kind => StorageKind.RocksDb;

    public override IKeyValueStore Open(ServerSettings settings) => RocksDbStore.OpenDataDirectory(settings.DataDirectory, settings.RocksDbBlockCacheBytes);

    public override SchemaRegistry OpenSchemaRegistry(ServerSettings settings, ILogger logger) => new(settings.DataDirectory);

    public override string Describe(ServerSettings settings) => $"the data directory {Path.GetFullPath(settings.DataDirectory)}";
}
