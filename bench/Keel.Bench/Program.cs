using System.Diagnostics;
using System.Text.RegularExpressions;
using Keel.Bench;
using Keel.TestSupport;

// Usage: Keel.Bench [mode] [arguments] — see docs/benchmarks.md for the method and figures.
//   sdk [seconds]        the Keel endpoint and the TypeScript SDK endpoint behind the same restate-server
//                        (default mode, 10 s per scenario and side).
//   server [seconds] [--endpoint ts|cs] [--servers keel,restate]
//                        the same endpoint behind the Keel server and behind restate-server, c64: no-op
//                        call, object add over 1000 keys, object add on one key, service-to-service call,
//                        sends (accepted/s and completed/s once the backlog drained). 10 s per scenario.
//   scale [--completed 1000000] [--timers 100000] [--rate 500] [--steady-seconds 60]
//         [--seed-concurrency 64] [--timer-delay 7d] [--retention <seconds>] [--lookups N] [--servers keel,restate]
//                        seeds completed invocations (idempotent calls, retained) and pending timers
//                        (delayed sends), then RSS, N repeated idempotent calls (retained results read
//                        back), open-loop p99/max latency and restart-to-first-answer.
//   query [--completed 100000] [--rate 500] [--steady-seconds 30] [--servers keel,restate]
//                        seeds completed invocations, then open-loop p99 alone and while full-table
//                        SQL queries (POST /query over sys_invocation) run back to back.
//   lookup [--completed 1000000] [--restate-completed 100000] [--queries 200] [--heavy-queries 20] [--keep DIR]
//                        seeds completed invocations, then times the console's one-invocation queries (row, journal,
//                        the whole page refresh) and its invocation list; --keep DIR keeps (and reuses) the seeded data.
//   overdue [--timers 1000000] [--due-after-seconds 300]
//                        seeds delayed sends all due at one moment, kills the server, restarts it once they are
//                        overdue, and samples its RSS while they fire until the endpoint ran them all.
//   soak [minutes] [--concurrency 64] [--window 5] [--out DIR] [--servers keel,restate]
//                        closed-loop sends + calls at saturation per server, per-window CSV and PNG
//                        (bench/plot-soak.sh, gnuplot); 30 minutes per server by default.
//   deadlocks [seconds] [--rounds 4] [--endpoint cs|ts]
//                        deadlock detection's cost: two Keel servers, detection on and off, the no-op and
//                        service-to-service rows (c64) on each in turn, the order swapped every round. 5 s per row.
//   cluster [seconds] [--setups rocksdb,pg1,pg2,pg3|none] [--rounds N] [--failovers N] [--lease-time S]
//                        the TS endpoint behind one Keel node on RocksDB and behind 1, 2 and 3 Keel nodes on
//                        one PostgreSQL (requests spread over the nodes), rounds interleaved, then N failovers
//                        under load (kill -9 of one node of three until its partitions answer again, p50).
var options = new BenchArgs(args);
switch (options.Mode)
{
    case "server":
        await ServerBenchmark.RunAsync(options);
        return;
    case "scale":
        await ScaleBenchmark.RunAsync(options);
        return;
    case "query":
        await QueryBenchmark.RunAsync(options);
        return;
    case "lookup":
        await LookupBenchmark.RunAsync(options);
        return;
    case "overdue":
        await OverdueTimersBenchmark.RunAsync(options);
        return;
    case "soak":
        await SoakBenchmark.RunAsync(options);
        return;
    case "cluster":
        await ClusterBenchmark.RunAsync(options);
        return;
    case "deadlocks":
        await DeadlockOverheadBenchmark.RunAsync(options);
        return;
    case "sdk":
        break;
    default:
        Console.Error.WriteLine($"Unknown mode '{options.Mode}': sdk, server, scale, query, lookup, overdue, soak, deadlocks or cluster.");
        Environment.Exit(2);
        break;
}

var duration = TimeSpan.FromSeconds(options.Positional(1, 10));

await using var server = await RestateServerProcess.StartAsync();
var csPort = FreePort.Next();
var tsPort = FreePort.Next();
var logs = Directory.CreateTempSubdirectory("keel-bench-").FullName;
var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
var csDll = Path.Combine(RepoPaths.Root, "bench", "Keel.Bench.Endpoint", "bin", configuration, "net10.0", "Keel.Bench.Endpoint.dll");
var cs = ProcessLogs.Start(new ProcessStartInfo("dotnet", [csDll]) { Environment = { ["PORT"] = csPort.ToString() } }, Path.Combine(logs, "cs.log"));
var ts = ProcessLogs.Start(new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "bench", "ts-endpoint.mjs")]) { Environment = { ["PORT"] = tsPort.ToString() } }, Path.Combine(logs, "ts.log"));
try
{
    using (var admin = new AdminClient(server.AdminUrl))
    {
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{csPort}"));
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{tsPort}"));
    }

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.IngressUrl, Timeout = TimeSpan.FromSeconds(60) };
    var scenarios = new (string Name, int Concurrency, Func<string, int, (string, string)> Request)[]
    {
        ("no-op call", 1, (p, _) => ($"/{p}Noop/echo", "\"x\"")),
        ("no-op call", 16, (p, _) => ($"/{p}Noop/echo", "\"x\"")),
        ("no-op call", 64, (p, _) => ($"/{p}Noop/echo", "\"x\"")),
        ("object add, 1 key", 16, (p, _) => ($"/{p}Counter/one/add", "1")),
        ("object add, 1000 keys", 64, (p, i) => ($"/{p}Counter/k{i % 1000}/add", "1")),
        ("service-to-service call", 16, (p, _) => ($"/{p}Proxy/call", "\"x\"")),
    };

    var retriesBefore = CountRetries(server.LogFile);
    Console.WriteLine($"| scenario | concurrency | Keel req/s | TS req/s | ratio | Keel p50/p99 ms | TS p50/p99 ms | Keel CPU ms/1000 | TS CPU ms/1000 | errors (Keel/TS) |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
    foreach (var (name, concurrency, request) in scenarios)
    {
        // Warm both sides, then measure them one after the other on the same server.
        await LoadRun.RunAsync(http, concurrency, TimeSpan.FromSeconds(1), i => request("Cs", i), cs.Id);
        await LoadRun.RunAsync(http, concurrency, TimeSpan.FromSeconds(1), i => request("Ts", i), ts.Id);
        var keel = await LoadRun.RunAsync(http, concurrency, duration, i => request("Cs", i), cs.Id);
        var tsResult = await LoadRun.RunAsync(http, concurrency, duration, i => request("Ts", i), ts.Id);
        Console.WriteLine($"| {name} | {concurrency} | {keel.RequestsPerSecond:F0} | {tsResult.RequestsPerSecond:F0} | {keel.RequestsPerSecond / tsResult.RequestsPerSecond:F2} | {keel.P50Ms:F1}/{keel.P99Ms:F1} | {tsResult.P50Ms:F1}/{tsResult.P99Ms:F1} | {keel.CpuMsPer1000:F0} | {tsResult.CpuMsPer1000:F0} | {keel.Errors}/{tsResult.Errors} |");
    }

    Console.WriteLine();
    Console.WriteLine($"Retries in the restate-server log during the run: {CountRetries(server.LogFile) - retriesBefore}");
}
finally
{
    cs.Kill(entireProcessTree: true);
    ts.Kill(entireProcessTree: true);
}

static int CountRetries(string logFile) =>
    File.Exists(logFile) ? ProcessLogs.Tail(logFile, int.MaxValue).Split('\n').Count(l => Regex.IsMatch(l, "retry|retrying", RegexOptions.IgnoreCase)) : 0;
