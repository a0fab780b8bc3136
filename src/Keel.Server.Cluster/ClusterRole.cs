using System.Text.Json.Nodes;
using Keel.Server.Hosting;
using Keel.Server.Partitions;

namespace Keel.Server.Cluster;

/// <summary>
/// The cluster as a server role: PostgreSQL storage (<see cref="PostgresStorage"/>), on which the node
/// serves the partitions it leases, forwards requests for the others and hands outbox entries over;
/// and <c>GET /cluster</c>, which on the embedded storage shows this one node serving every partition.
/// </summary>
public sealed class ClusterRole : ServerRole
{
    private readonly ClusterHandle _handle = new();
    private readonly PostgresStorage _storage;

    public ClusterRole() => _storage = new PostgresStorage(_handle);

    public override StorageBackend Storage => _storage;

    public override ProcessorOptions ConfigureProcessor(ProcessorOptions options, ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Storage == StorageKind.Postgres ? options with { OutboxRedeliveryInterval = ClusterHandle.Redelivery } : options;
    }

    public override void Map(WebApplication app, ServerRoleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _handle.Map(app, context);
    }

    /// <summary>On PostgreSQL the node takes hand-overs from other nodes on its own listener.</summary>
    public override bool NeedsInternalListener(ServerSettings settings) => settings?.Storage == StorageKind.Postgres;

    public override JsonObject? HealthDetails() => _handle.HealthDetails();

    public override async ValueTask DisposeAsync()
    {
        await _handle.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
