using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Bench;

/// <summary>
/// Cluster benchmark: the TypeScript endpoint behind one Keel node on RocksDB, then behind 1, 2 and 3
/// Keel nodes on one PostgreSQL (the tests' PostgreSQL from npm), closed loop at concurrency 64 with
/// requests spread over the nodes' ingress ports; CPU per 1000 requests summed over the nodes and
/// the database. Then failover: 3 nodes under load, one killed, until its partitions are served again.
/// </summary>
internal static class ClusterBenchmark
{
    private const int Concurrency = 64;
    private const int Partitions = 6;

    private static readonly (string Name, Func<string, int, string> Path)[] Calls =
    [
        ("no-op call", (p, _) => $"/{p}Noop/echo"),
        ("object add, 1000 keys", (p, i) => $"/{p}Counter/k{i % 1000}/add"),
    ];

    public static async Task RunAsync(BenchArgs args)
    {
        var duration = TimeSpan.FromSeconds(args.Positional(1, 8));
        Console.WriteLine($"TypeScript endpoint, concurrency {Concurrency}, {duration.TotalSeconds:F0} s per scenario, {Partitions} partitions");
        Console.WriteLine("| setup | scenario | req/s | p50/p99 ms | server CPU ms per 1000 (nodes + database) | errors |");
        Console.WriteLine("|---|---|---|---|---|---|");
        await MeasureAsync("RocksDB, 1 node", null, 1, duration);
        await using (var postgres = await PostgresServer.StartAsync())
        {
            for (var nodes = 1; nodes <= 3; nodes++)
            {
                await MeasureAsync($"PostgreSQL, {nodes} node{(nodes > 1 ? "s" : "")}", postgres, nodes, duration);
            }

            await FailoverAsync(postgres, duration);
        }
    }

    private static async Task<List<BenchServer>> StartNodesAsync(PostgresServer? postgres, int count, string database, TimeSpan leaseTime)
    {
        var nodes = new List<BenchServer>();
        string? connection = postgres is null ? null : await CreateDatabaseAsync(postgres, database);
        for (var i = 1; i <= count; i++)
        {
            string[] extra = connection is null
                ? ["--partitions", Partitions.ToString(CultureInfo.InvariantCulture)]
                : ["--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--postgres", connection, "--node-name", $"n{i}", "--lease-time", $"{leaseTime.TotalSeconds}s"];
            nodes.Add(await BenchServer.StartAsync(ServerKind.Keel, keelArgs: extra));
        }

        await WaitUntilSpreadAsync(nodes, count);
        return nodes;
    }

    private static async Task MeasureAsync(string setup, PostgresServer? postgres, int count, TimeSpan duration)
    {
        var nodes = await StartNodesAsync(postgres, count, $"bench_{count}_{Guid.NewGuid():N}", TimeSpan.FromSeconds(8));
        try
        {
            using var endpoint = await BenchEndpoint.StartAsync("ts", nodes[0].AdminUrl);
            using var http = LoadRun.Client(nodes[0].IngressUrl);
            foreach (var (name, path) in Calls)
            {
                var body = name.StartsWith("object", StringComparison.Ordinal) ? "1" : "\"x\"";
                // Request i enters at node i mod N: every node takes its share of the ingress.
                HttpRequestMessage Request(int i) => Absolute(nodes[i % nodes.Count].IngressUrl, path(endpoint.Prefix, i), body);
                await LoadRun.RunAsync(http, Concurrency, TimeSpan.FromSeconds(1), Request, endpoint.Pid);
                var cpuBefore = ServerCpu(nodes, postgres);
                var result = await LoadRun.RunAsync(http, Concurrency, duration, Request, endpoint.Pid);
                var cpu = (ServerCpu(nodes, postgres) - cpuBefore) * 1000 / Math.Max(1, result.Requests);
                Console.WriteLine($"| {setup} | {name} | {result.RequestsPerSecond:F0} | {result.P50Ms:F1}/{result.P99Ms:F1} | {cpu:F0} | {result.Errors} |");
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Three nodes under no-op calls with idempotency keys; node 2 is killed a third of the way in.</summary>
    private static async Task FailoverAsync(PostgresServer postgres, TimeSpan duration)
    {
        var lease = TimeSpan.FromSeconds(8);
        var nodes = await StartNodesAsync(postgres, 3, $"bench_failover_{Guid.NewGuid():N}", lease);
        try
        {
            using var endpoint = await BenchEndpoint.StartAsync("ts", nodes[0].AdminUrl);
            using var http = LoadRun.Client(nodes[0].IngressUrl);
            var live = new[] { true, true, true };
            HttpRequestMessage Request(int i)
            {
                var node = Enumerable.Range(i, 3).Select(n => n % 3).First(n => Volatile.Read(ref live[n]));
                return Absolute(nodes[node].IngressUrl, $"/{endpoint.Prefix}Counter/k{i % 1000}/add", "1");
            }

            var window = duration * 3;
            var load = LoadRun.RunAsync(http, Concurrency, window, Request, endpoint.Pid);
            await Task.Delay(window / 3);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref live[1], false);
            await nodes[1].KillAsync();
            await WaitUntilSpreadAsync([nodes[0], nodes[2]], 2);
            var takeover = clock.Elapsed;
            var result = await load;
            Console.WriteLine();
            Console.WriteLine($"Failover (3 nodes, lease {lease.TotalSeconds:F0} s, object add over 1000 keys c{Concurrency}, one node killed after {window.TotalSeconds / 3:F0} s of {window.TotalSeconds:F0} s): " +
                $"its partitions were served again {takeover.TotalSeconds:F1} s after kill -9; over the whole window {result.RequestsPerSecond:F0} req/s, " +
                $"p50/p99 {result.P50Ms:F1}/{result.P99Ms:F1} ms, {result.Errors} failed requests (cut off by the kill or answered 503 while the partitions moved; " +
                $"last: {LoadRun.LastError ?? "-"}).");
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static HttpRequestMessage Absolute(Uri node, string path, string body)
    {
        var message = LoadRun.Post(path, body);
        message.RequestUri = new Uri(node, path);
        return message;
    }

    /// <summary>CPU ms of every node plus the database's processes (all of its backends, from its postmaster's process group).</summary>
    private static double ServerCpu(List<BenchServer> nodes, PostgresServer? postgres)
    {
        var total = 0.0;
        foreach (var node in nodes)
        {
            total += ProcessCpu.Milliseconds(node.Pid);
        }

        if (postgres is not null)
        {
            foreach (var pid in PostgresPids(postgres))
            {
                try
                {
                    total += ProcessCpu.Milliseconds(pid);
                }
                catch (IOException)
                {
                    // A backend that ended meanwhile.
                }
            }
        }

        return total;
    }

    private static IEnumerable<int> PostgresPids(PostgresServer postgres) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && IsPostgresOn(pid, postgres.Port))
            .ToList();

    private static bool IsPostgresOn(int pid, int port)
    {
        try
        {
            var command = File.ReadAllText($"/proc/{pid}/cmdline");
            // The postmaster carries "-p <port>"; its backends are "postgres: ..." processes whose parent is it.
            if (command.StartsWith("/", StringComparison.Ordinal) && command.Contains("postgres", StringComparison.Ordinal) && command.Contains($"-p\0{port}", StringComparison.Ordinal))
            {
                return true;
            }

            var status = File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
            var parent = status is null ? 0 : int.Parse(status[5..].Trim(), CultureInfo.InvariantCulture);
            return parent > 0 && command.StartsWith("postgres:", StringComparison.Ordinal) && IsPostgresOn(parent, port);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<string> CreateDatabaseAsync(PostgresServer postgres, string name)
    {
        await using var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString());
        await connection.OpenAsync();
        await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await create.ExecuteNonQueryAsync();
        return postgres.ConnectionString(name);
    }

    /// <summary>Waits until every partition is leased and each of <paramref name="count"/> nodes serves one (RocksDB: at once).</summary>
    private static async Task WaitUntilSpreadAsync(List<BenchServer> nodes, int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(90))
        {
            var status = await http.GetFromJsonAsync<JsonElement>(new Uri(nodes[0].AdminUrl, "/cluster"));
            var owners = status.GetProperty("partitions").EnumerateArray()
                .Where(p => p.GetProperty("owner").ValueKind == JsonValueKind.String && (p.TryGetProperty("lease_expires_in_ms", out var left) is false || left.ValueKind != JsonValueKind.Number || left.GetInt64() > 0))
                .Select(p => p.GetProperty("owner").GetString())
                .ToList();
            var alive = status.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("alive").GetBoolean()).Select(n => n.GetProperty("name").GetString()).ToHashSet();
            if (owners.Count == Partitions && owners.Distinct().Count() == count && owners.All(alive.Contains))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the partitions were not spread over the nodes within 90 s");
    }
}
