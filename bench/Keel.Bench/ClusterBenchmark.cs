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
/// the database. Then failover (<see cref="ClusterFailover"/>). <c>--setups rocksdb,pg1,pg2,pg3</c> picks the
/// throughput setups (all by default, <c>none</c> for failover alone), <c>--rounds N</c> repeats them
/// interleaved, <c>--failovers N</c> how many kills (0: none), <c>--lease-time S</c> the lease (<c>2</c>, <c>2s</c>, <c>1500ms</c>; the server's default when absent).
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
        var setups = args.String("setups", "rocksdb,pg1,pg2,pg3").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rounds = args.Int("rounds", 1);
        var lease = args.Duration("lease-time");
        Console.WriteLine($"TypeScript endpoint, concurrency {Concurrency}, {duration.TotalSeconds:F0} s per scenario, {Partitions} partitions, lease {(lease is { } l ? $"{l.TotalSeconds} s" : "the server's default")}");
        Console.WriteLine("| setup | scenario | req/s | p50/p99 ms | server CPU ms per 1000 (nodes + database) | errors |");
        Console.WriteLine("|---|---|---|---|---|---|");
        await using var postgres = await PostgresServer.StartAsync();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var setup in setups.Where(s => s != "none"))
            {
                if (setup == "rocksdb")
                {
                    await MeasureAsync("RocksDB, 1 node", null, 1, duration, lease);
                }
                else if (setup.StartsWith("pg", StringComparison.Ordinal) && int.TryParse(setup[2..], CultureInfo.InvariantCulture, out var nodes) && nodes > 0)
                {
                    await MeasureAsync($"PostgreSQL, {nodes} node{(nodes > 1 ? "s" : "")}", postgres, nodes, duration, lease);
                }
                else
                {
                    throw new ArgumentException($"Unknown setup '{setup}' (rocksdb, pg1, pg2, pg3, ... or none).");
                }
            }
        }

        await ClusterFailover.RunAsync(postgres, duration, args.Int("failovers", 1), lease);
    }

    internal static async Task<List<BenchServer>> StartNodesAsync(PostgresServer? postgres, int count, string database, TimeSpan? leaseTime)
    {
        var nodes = new List<BenchServer>();
        string? connection = postgres is null ? null : await CreateDatabaseAsync(postgres, database);
        for (var i = 1; i <= count; i++)
        {
            string[] extra = connection is null
                ? ["--partitions", Partitions.ToString(CultureInfo.InvariantCulture)]
                : ["--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--postgres", connection, "--node-name", $"n{i}",
                    "--internal-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                    .. leaseTime is { } lease ? (string[])["--lease-time", $"{lease.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s"] : []];
            nodes.Add(await BenchServer.StartAsync(ServerKind.Keel, keelArgs: extra));
        }

        await WaitUntilSpreadAsync(nodes, count);
        return nodes;
    }

    private static async Task MeasureAsync(string setup, PostgresServer? postgres, int count, TimeSpan duration, TimeSpan? lease)
    {
        var nodes = await StartNodesAsync(postgres, count, $"bench_{count}_{Guid.NewGuid():N}", postgres is null ? null : lease);
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
                var databaseBefore = ServerCpu([], postgres);
                var result = await LoadRun.RunAsync(http, Concurrency, duration, Request, endpoint.Pid);
                var cpu = (ServerCpu(nodes, postgres) - cpuBefore) * 1000 / Math.Max(1, result.Requests);
                var database = (ServerCpu([], postgres) - databaseBefore) * 1000 / Math.Max(1, result.Requests);
                var split = postgres is null ? string.Empty : $" (database {database:F0})";
                Console.WriteLine($"| {setup} | {name} | {result.RequestsPerSecond:F0} | {result.P50Ms:F1}/{result.P99Ms:F1} | {cpu:F0}{split} | {result.Errors} |");
            }

            if (postgres is not null)
            {
                Console.WriteLine($"|   | owner-side cache so far (all nodes) | {await CacheCountsAsync(nodes)} | | | |");
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

    /// <summary>The owner-side cache's hits and misses summed over the nodes' /metrics (a build without it shows none).</summary>
    private static async Task<string> CacheCountsAsync(List<BenchServer> nodes)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        double hits = 0, misses = 0;
        foreach (var node in nodes)
        {
            var text = await http.GetStringAsync(new Uri(node.AdminUrl, "/metrics"));
            foreach (var line in text.Split('\n').Where(l => l.StartsWith("keel_postgres_cache_", StringComparison.Ordinal)))
            {
                var value = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                if (line.StartsWith("keel_postgres_cache_hits", StringComparison.Ordinal))
                {
                    hits += value;
                }
                else
                {
                    misses += value;
                }
            }
        }

        return hits + misses == 0 ? "none" : $"{hits:F0} hits, {misses:F0} misses ({100 * hits / (hits + misses):F0} %)";
    }

    internal static HttpRequestMessage Absolute(Uri node, string path, string body)
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
    internal static async Task WaitUntilSpreadAsync(List<BenchServer> nodes, int count)
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
