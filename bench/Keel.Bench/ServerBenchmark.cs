using System.Diagnostics;

namespace Keel.Bench;

/// <summary>
/// Server benchmark: the same endpoint (TypeScript by default, the C# Keel.Sdk one with
/// <c>--endpoint cs</c>) behind the Keel server and behind the official restate-server, one after
/// the other in one run, closed loop at concurrency 64.
/// </summary>
internal static class ServerBenchmark
{
    private const int Concurrency = 64;

    private static readonly (string Name, Func<string, int, string> Path)[] Calls =
    [
        ("no-op call", (p, _) => $"/{p}Noop/echo"),
        ("object add, 1000 keys", (p, i) => $"/{p}Counter/k{i % 1000}/add"),
        ("object add, 1 key", (p, _) => $"/{p}Counter/one/add"),
        ("service-to-service call", (p, _) => $"/{p}Proxy/call"),
    ];

    public static async Task RunAsync(BenchArgs args)
    {
        var duration = TimeSpan.FromSeconds(args.Positional(1, 10));
        var endpointKind = args.String("endpoint", "ts");
        var only = args.String("scenarios") is { } list ? list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
        var results = new Dictionary<ServerKind, List<Row>>();
        foreach (var kind in args.Servers())
        {
            results[kind] = await MeasureAsync(kind, endpointKind, duration, only);
        }

        Console.WriteLine($"Endpoint: {(endpointKind == "cs" ? "C# Keel.Sdk (bench/Keel.Bench.Endpoint)" : "TypeScript SDK (bench/ts-endpoint.mjs)")}, concurrency {Concurrency}, {duration.TotalSeconds:F0} s per scenario");
        Console.WriteLine("| scenario | concurrency | Keel req/s | Restate req/s | ratio | Keel p50/p99 ms | Restate p50/p99 ms | errors (Keel/Restate) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var rows = results.Values.First().Count;
        for (var i = 0; i < rows; i++)
        {
            var k = results.GetValueOrDefault(ServerKind.Keel)?[i];
            var r = results.GetValueOrDefault(ServerKind.Restate)?[i];
            var name = (k ?? r)!.Name;
            var ratio = k is null || r is null || r.PerSecond == 0 ? "-" : $"{k.PerSecond / r.PerSecond:F2}";
            Console.WriteLine($"| {name} | {Concurrency} | {k?.PerSecond.ToString("F0") ?? "-"} | {r?.PerSecond.ToString("F0") ?? "-"} | {ratio} | {k?.Latency ?? "-"} | {r?.Latency ?? "-"} | {k?.Errors.ToString() ?? "-"}/{r?.Errors.ToString() ?? "-"} |");
        }

        Console.WriteLine();
        Console.WriteLine("'send, completed': sends accepted during the window divided by the time from the window's start until the endpoint");
        Console.WriteLine("had run every one of them (Tally/hit counts distinct invocation ids); the latency column gives that drain time.");
    }

    private sealed record Row(string Name, double PerSecond, string Latency, int Errors);

    /// <param name="only">
    /// With <c>--scenarios "no-op call;object add, 1 key"</c> only the named call scenarios run (no sends), e.g. to
    /// attach a profiler to the server (its pid is printed) for one load at a time.
    /// </param>
    private static async Task<List<Row>> MeasureAsync(ServerKind kind, string endpointKind, TimeSpan duration, string[]? only)
    {
        await using var server = await BenchServer.StartAsync(kind);
        using var endpoint = await BenchEndpoint.StartAsync(endpointKind, server.AdminUrl);
        using var http = LoadRun.Client(server.IngressUrl);
        Console.Error.WriteLine($"  {server.Name}: server pid {server.Pid}, endpoint pid {endpoint.Pid}, load generator pid {Environment.ProcessId}");
        var p = endpoint.Prefix;
        var rows = new List<Row>();
        foreach (var (name, path) in Calls.Where(c => only is null || only.Contains(c.Name, StringComparer.OrdinalIgnoreCase)))
        {
            HttpRequestMessage Request(int i) => LoadRun.Post(path(p, i), name.StartsWith("object", StringComparison.Ordinal) ? "1" : "\"x\"");
            await LoadRun.RunAsync(http, Concurrency, TimeSpan.FromSeconds(1), Request, endpoint.Pid);
            var serverCpu = ProcessCpu.Milliseconds(server.Pid);
            var selfCpu = ProcessCpu.Milliseconds(Environment.ProcessId);
            var result = await LoadRun.RunAsync(http, Concurrency, duration, Request, endpoint.Pid);
            rows.Add(new Row(name, result.RequestsPerSecond, $"{result.P50Ms:F1}/{result.P99Ms:F1}", result.Errors));

            // Where the two cores went: the server, the endpoint and this load generator share them.
            var perThousand = 1000.0 / Math.Max(1, result.Requests);
            Console.Error.WriteLine($"  {server.Name}: {name}: {result.RequestsPerSecond:F0} req/s; CPU ms per 1000 requests: server " +
                $"{(ProcessCpu.Milliseconds(server.Pid) - serverCpu) * perThousand:F0}, endpoint {result.CpuMsPer1000:F0}, load generator {(ProcessCpu.Milliseconds(Environment.ProcessId) - selfCpu) * perThousand:F0}");
        }

        if (only is null)
        {
            rows.AddRange(await MeasureSendsAsync(server, endpoint, http, duration));
        }

        return rows;
    }

    /// <summary>Sends at concurrency 64: accepted per second (202s), then completed per second once the backlog has drained.</summary>
    private static async Task<Row[]> MeasureSendsAsync(BenchServer server, BenchEndpoint endpoint, HttpClient http, TimeSpan duration)
    {
        var path = $"/{endpoint.Prefix}Tally/hit/send";
        HttpRequestMessage Request(int i) => LoadRun.Post(path, "\"x\"");
        var drainTimeout = TimeSpan.FromSeconds(Math.Max(120, 30 * duration.TotalSeconds));

        // Warm up, and let the warm-up's backlog drain before measuring.
        var warm = await LoadRun.RunAsync(http, Concurrency, TimeSpan.FromSeconds(1), Request, endpoint.Pid);
        await endpoint.WaitForTallyAsync(warm.Accepted, drainTimeout);
        var baseline = await endpoint.TallyAsync();

        var clock = Stopwatch.StartNew();
        var sends = await LoadRun.RunAsync(http, Concurrency, duration, Request, endpoint.Pid);
        var drained = await endpoint.WaitForTallyAsync(baseline + sends.Accepted, drainTimeout);
        var elapsed = clock.Elapsed;
        var completed = await endpoint.TallyAsync() - baseline;
        Console.Error.WriteLine($"  {server.Name}: sends: {sends.RequestsPerSecond:F0} accepted/s, {completed}/{sends.Accepted} run after {elapsed.TotalSeconds:F1} s");
        return
        [
            new Row("send, accepted (202)", sends.RequestsPerSecond * sends.Accepted / Math.Max(1, sends.Requests), $"{sends.P50Ms:F1}/{sends.P99Ms:F1}", sends.Errors),
            new Row("send, completed", completed / elapsed.TotalSeconds, drained ? $"drain {elapsed.TotalSeconds:F1} s" : $"NOT drained after {elapsed.TotalSeconds:F0} s", sends.Errors),
        ];
    }
}
