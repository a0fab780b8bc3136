using System.Text.Json;

namespace Keel.TestSupport;

/// <summary>
/// Keel nodes on one PostgreSQL database of their own, each a separate process with its own ports
/// and data directory. Short leases (3 s) keep failover tests quick.
/// </summary>
public sealed class KeelCluster : IAsyncDisposable
{
    public const int PartitionCount = 6;
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(3);

    private readonly List<KeelServerProcess> _nodes;
    private readonly Func<PostgresServer, int, IReadOnlyList<string>>? _nodeArguments;
    private readonly Func<int, IReadOnlyDictionary<string, string>>? _nodeEnvironment;

    private KeelCluster(PostgresServer postgres, List<KeelServerProcess> nodes, Func<PostgresServer, int, IReadOnlyList<string>>? nodeArguments,
        Func<int, IReadOnlyDictionary<string, string>>? nodeEnvironment)
    {
        Postgres = postgres;
        _nodes = nodes;
        _nodeArguments = nodeArguments;
        _nodeEnvironment = nodeEnvironment;
    }

    public PostgresServer Postgres { get; }

    public IReadOnlyList<KeelServerProcess> Nodes => _nodes;

    /// <param name="serverDll">Another build for every node (upgrade tests); this build by default.</param>
    /// <param name="nodeArguments">
    /// More flags for node N (1-based), after the cluster's own, so they win (the fault campaign points a node's
    /// <c>--postgres</c> at a TCP proxy); none by default.
    /// </param>
    /// <param name="nodeEnvironment">Environment variables of node N (1-based), such as a testing seam; none by default.</param>
    public static async Task<KeelCluster> StartAsync(int nodes, string? serverDll = null, Func<PostgresServer, int, IReadOnlyList<string>>? nodeArguments = null,
        Func<int, IReadOnlyDictionary<string, string>>? nodeEnvironment = null)
    {
        var postgres = await PostgresServer.StartAsync();
        var started = new List<KeelServerProcess>();
        try
        {
            for (var i = 1; i <= nodes; i++)
            {
                started.Add(await StartNodeAsync(postgres, i, serverDll, nodeArguments, nodeEnvironment));
            }

            var cluster = new KeelCluster(postgres, started, nodeArguments, nodeEnvironment);
            await cluster.WaitUntilSpreadAsync(started.Select((_, i) => $"node-{i + 1}").ToList());
            return cluster;
        }
        catch
        {
            foreach (var node in started)
            {
                await node.DisposeAsync();
            }

            await postgres.DisposeAsync();
            throw;
        }
    }

    private static Task<KeelServerProcess> StartNodeAsync(PostgresServer postgres, int number, string? serverDll = null, Func<PostgresServer, int, IReadOnlyList<string>>? nodeArguments = null,
        Func<int, IReadOnlyDictionary<string, string>>? nodeEnvironment = null) =>
        KeelServerProcess.StartAsync(new KeelServerOptions
        {
            ServerDll = serverDll,
            Environment = nodeEnvironment?.Invoke(number) ?? new Dictionary<string, string>(),
            ExtraArguments = ["--postgres", postgres.ConnectionString(), "--partitions", PartitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--node-name", $"node-{number}", "--lease-time", $"{LeaseTime.TotalSeconds}s", .. nodeArguments?.Invoke(postgres, number) ?? []],
        });

    /// <summary>Starts one more node (node-N+1); the leases then spread over it.</summary>
    public async Task<KeelServerProcess> AddNodeAsync()
    {
        var node = await StartNodeAsync(Postgres, _nodes.Count + 1, nodeArguments: _nodeArguments, nodeEnvironment: _nodeEnvironment);
        _nodes.Add(node);
        return node;
    }

    /// <summary>GET /cluster of a node.</summary>
    public static async Task<JsonElement> StatusAsync(KeelServerProcess node)
    {
        using var admin = new AdminClient(node.AdminUrl);
        var (_, body) = await admin.GetJsonAsync("/cluster");
        return body ?? throw new InvalidOperationException("GET /cluster answered no JSON");
    }

    /// <summary>Partition → owner, as the database has it (leases not expired).</summary>
    public static Dictionary<int, string> Owners(JsonElement status) =>
        status.GetProperty("partitions").EnumerateArray()
            .Where(p => p.GetProperty("owner").ValueKind == JsonValueKind.String && p.GetProperty("lease_expires_in_ms").GetInt64() > 0)
            .ToDictionary(p => p.GetProperty("partition").GetInt32(), p => p.GetProperty("owner").GetString()!);

    /// <summary>Waits until every partition is leased by one of <paramref name="nodes"/> and they hold them evenly (⌊P/N⌋ or ⌈P/N⌉ each: no more moves).</summary>
    public async Task WaitUntilSpreadAsync(IReadOnlyList<string> nodes, KeelServerProcess? askAt = null)
    {
        var ask = askAt ?? Nodes[0];
        await Eventually.UntilAsync(async () =>
        {
            var owners = Owners(await StatusAsync(ask));
            var (floor, ceiling) = (PartitionCount / nodes.Count, (PartitionCount + nodes.Count - 1) / nodes.Count);
            return owners.Count == PartitionCount && owners.Values.All(nodes.Contains)
                && nodes.All(n => owners.Values.Count(o => o == n) is var held && held >= floor && held <= ceiling);
        }, TimeSpan.FromSeconds(60), $"the {PartitionCount} partitions to be spread over {string.Join(", ", nodes)}");
    }

    public string Logs() => string.Join('\n', Nodes.Select(n => ProcessLogs.Tail(n.LogFile, int.MaxValue)));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Postgres.DisposeAsync();
    }
}

/// <summary>
/// A cluster seen as one server by fixtures written for one: registrations go to one node's admin
/// API, requests to another node's ingress, so most requests are forwarded and most calls cross nodes.
/// </summary>
public sealed class ClusterAsServer(KeelCluster cluster, int adminNode, int ingressNode) : IServerProcess
{
    public KeelCluster Cluster { get; } = cluster;

    public Uri AdminUrl => Cluster.Nodes[adminNode].AdminUrl;

    public Uri IngressUrl => Cluster.Nodes[ingressNode].IngressUrl;

    /// <summary>Every node's log in one file (written when read).</summary>
    public string LogFile
    {
        get
        {
            var path = Path.Combine(Path.GetTempPath(), $"keel-cluster-{Environment.ProcessId}-{Cluster.GetHashCode()}.log");
            File.WriteAllText(path, Cluster.Logs());
            return path;
        }
    }

    public Task KillAsync() => throw new NotSupportedException("Kill a node of the cluster instead.");

    public Task RestartAsync() => throw new NotSupportedException("Restart a node of the cluster instead.");

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
