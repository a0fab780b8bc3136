using System.Text.Json;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// Keel nodes on one PostgreSQL database of their own, each a separate process with its own ports
/// and data directory. Short leases (3 s) keep failover tests quick.
/// </summary>
public sealed class KeelCluster : IAsyncDisposable
{
    public const int PartitionCount = 6;
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(3);

    private KeelCluster(PostgresServer postgres, IReadOnlyList<KeelServerProcess> nodes)
    {
        Postgres = postgres;
        Nodes = nodes;
    }

    public PostgresServer Postgres { get; }

    public IReadOnlyList<KeelServerProcess> Nodes { get; }

    public static async Task<KeelCluster> StartAsync(int nodes)
    {
        var postgres = await PostgresServer.StartAsync();
        var started = new List<KeelServerProcess>();
        try
        {
            for (var i = 1; i <= nodes; i++)
            {
                started.Add(await KeelServerProcess.StartAsync(new KeelServerOptions
                {
                    ExtraArguments = ["--postgres", postgres.ConnectionString(), "--partitions", PartitionCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        "--node-name", $"node-{i}", "--lease-time", $"{LeaseTime.TotalSeconds}s"],
                }));
            }

            var cluster = new KeelCluster(postgres, started);
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

    /// <summary>Waits until every partition is leased by one of <paramref name="nodes"/> and each of them serves at least one.</summary>
    public async Task WaitUntilSpreadAsync(IReadOnlyList<string> nodes, KeelServerProcess? askAt = null)
    {
        var ask = askAt ?? Nodes[0];
        await Eventually.UntilAsync(async () =>
        {
            var owners = Owners(await StatusAsync(ask));
            return owners.Count == PartitionCount && owners.Values.All(nodes.Contains) && nodes.All(owners.Values.Contains);
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
