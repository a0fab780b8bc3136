using Keel.Server.Cluster.Security;
using Keel.Server.Hosting;
using Keel.Server.Postgres;
using Keel.Server.Storage;

namespace Keel.Server.Cluster;

/// <summary>
/// This node's cluster membership: on PostgreSQL storage the node serves the partitions it leases,
/// forwards requests for the others and hands outbox entries over to their nodes; on the embedded
/// storage (no <see cref="Node"/>) it serves every partition itself. The HTTP pipeline is built
/// before storage opens, so it holds this handle and the node joins once storage is open.
/// </summary>
internal sealed class ClusterHandle : IAsyncDisposable
{
    /// <summary>In a cluster, unacknowledged hand-overs are sent again every few seconds.</summary>
    public static readonly TimeSpan Redelivery = TimeSpan.FromSeconds(5);

    private readonly HttpClient _forwarding = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
    {
        // Forwarded calls wait for their invocation's result like direct ones: no timeout of our own.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private HandOverSender? _sender;
    private KeelRuntime? _runtime;

    public ClusterNode? Node { get; private set; }

    /// <summary>The partition an invocation lives in; null before the node joined.</summary>
    public int? PartitionOf(Keel.Protocol.Ids.InvocationId id) => _runtime?.Map.PartitionOf(id.PartitionKey);

    /// <summary>For <c>/health</c> in a cluster: this node's name and the partitions it serves now; null on the embedded storage.</summary>
    public System.Text.Json.Nodes.JsonObject? HealthDetails() => Node is { } node
        ? new System.Text.Json.Nodes.JsonObject
        {
            ["node"] = node.Name,
            ["serving"] = _runtime?.LocalPartitions.Count > 0,
            ["partitions"] = new System.Text.Json.Nodes.JsonArray([.. (_runtime?.LocalPartitions ?? []).Select(p => (System.Text.Json.Nodes.JsonNode)p)]),
        }
        : null;

    /// <summary>Checks node-to-node requests once the node has joined (it reads the cluster secret then); null before.</summary>
    public Security.InternalRequestVerifier? Verifier { get; private set; }

    /// <summary>Adds request forwarding, the internal listener's signature check and the cluster endpoints to the pipeline.</summary>
    public void Map(WebApplication app, ServerRoleContext context)
    {
        app.UseClusterForwarding(this, _forwarding);
        app.UseInternalAuthentication(this);
        ClusterEndpoints.Map(context, this);
        Cluster.Deadlocks.ClusterDeadlockEndpoints.Map(context, this);
    }

    /// <summary>Deadlocks across nodes (null on the embedded storage, before the node joined, or with detection off).</summary>
    public Cluster.Deadlocks.ClusterDeadlocks? Deadlocks { get; private set; }

    /// <summary>Starts the runtime on the opened store: every partition on the embedded storage, the leased ones in a cluster.</summary>
    public async Task StartAsync(IKeyValueStore store, KeelRuntime runtime, ServerSettings settings, ILogger logger)
    {
        if (store is not PostgresStore postgres)
        {
            await runtime.StartAsync(store).ConfigureAwait(false);
            return;
        }

        var name = settings.NodeName ?? $"{HostOf(settings, settings.IngressAddress)}:{settings.IngressPort}";
        SharedDatabaseUpgrade.Prepare(postgres, name, settings.LeaseTime, logger);
        runtime.StartServingNone(store);
        _runtime = runtime;
        var secret = Postgres.ClusterSecret.LoadOrCreate(postgres);
        Verifier = new Security.InternalRequestVerifier(secret, TimeProvider.System);
        var node = new ClusterNode(postgres, runtime, name,
            new Uri($"http://{HostOf(settings, settings.IngressAddress)}:{settings.IngressPort}/"),
            new Uri($"http://{HostOf(settings, settings.AdminAddress)}:{settings.AdminPort}/"),
            new Uri($"http://{HostOf(settings, settings.InternalAddress)}:{settings.InternalPort}/"), settings.LeaseTime, logger)
        {
            CacheBytesPerPartition = settings.PostgresCacheBytes / Math.Max(1, runtime.PartitionCount),
        };
        _sender = new HandOverSender(node, secret, TimeProvider.System, logger);
        runtime.RemoteRoute = _sender.Send;
        Deadlocks = settings.DeadlockDetection ? new Cluster.Deadlocks.ClusterDeadlocks(runtime, node, secret, logger) : null;
        Node = node;
        await node.StartAsync().ConfigureAwait(false);
    }

    /// <summary>The host other nodes reach a listener at: the advertised host, else its address (the machine's name when it binds every interface).</summary>
    private static string HostOf(ServerSettings settings, string address) =>
        settings.AdvertisedHost ?? (address is "0.0.0.0" or "::" ? Environment.MachineName : address.Contains(':', StringComparison.Ordinal) ? $"[{address}]" : address);

    /// <summary>Leaves the cluster (partitions stop here, leases go back); call after the HTTP server stopped taking requests.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Node is not null)
        {
            await Node.DisposeAsync().ConfigureAwait(false);
        }

        _sender?.Dispose();
        Deadlocks?.Dispose();
        _forwarding.Dispose();
    }
}
