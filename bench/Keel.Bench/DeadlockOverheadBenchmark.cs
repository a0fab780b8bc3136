using System.Globalization;
using Keel.TestSupport;

namespace Keel.Bench;

/// <summary>
/// What deadlock detection costs the server: two Keel servers side by side, one with detection on (the default) and
/// one with <c>--deadlock-detection off</c>, the same endpoint registered at both, and the server benchmark's no-op
/// and service-to-service rows (c64) measured on each in turn, several rounds, the order swapped every round so a
/// machine that gets busier or quieter does not favour one side; a first round warms both and is not counted.
/// </summary>
internal static class DeadlockOverheadBenchmark
{
    private const int Concurrency = 64;

    private static readonly (string Name, Func<string, string> Path)[] Calls =
    [
        ("no-op call", p => $"/{p}Noop/echo"),
        ("service-to-service call", p => $"/{p}Proxy/call"),
    ];

    public static async Task RunAsync(BenchArgs args)
    {
        var duration = TimeSpan.FromSeconds(args.Positional(1, 5));
        var rounds = args.Int("rounds", 4);
        var endpointKind = args.String("endpoint", "cs");
        await using var on = await BenchServer.StartAsync(ServerKind.Keel);
        await using var off = await BenchServer.StartAsync(ServerKind.Keel, keelArgs: ["--deadlock-detection", "off"]);
        using var endpoint = await BenchEndpoint.StartAsync(endpointKind, on.AdminUrl);
        using (var admin = new AdminClient(off.AdminUrl))
        {
            using var registered = await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{endpoint.Port}"));
        }

        var sides = new (string Name, BenchServer Server)[] { ("on", on), ("off", off) };
        var results = new Dictionary<(string Side, string Call), List<LoadResult>>();
        Console.WriteLine($"Endpoint: {endpointKind}, concurrency {Concurrency}, {duration.TotalSeconds:F0} s per row, {rounds} rounds");
        Console.WriteLine("| round | side | scenario | req/s | p50/p99 ms |");
        Console.WriteLine("|---|---|---|---|---|");
        // Round 0 warms both servers (JIT, connections, RocksDB caches) and is not counted.
        for (var round = 0; round <= rounds; round++)
        {
            foreach (var (side, server) in round % 2 == 1 ? sides : [.. sides.Reverse()])
            {
                using var http = LoadRun.Client(server.IngressUrl);
                foreach (var (call, path) in Calls)
                {
                    HttpRequestMessage Request(int i) => LoadRun.Post(path(endpoint.Prefix), "\"x\"");
                    await LoadRun.RunAsync(http, Concurrency, TimeSpan.FromSeconds(1), Request, endpoint.Pid);
                    var result = await LoadRun.RunAsync(http, Concurrency, duration, Request, endpoint.Pid);
                    if (!results.TryGetValue((side, call), out var list))
                    {
                        results[(side, call)] = list = [];
                    }

                    if (round > 0)
                    {
                        list.Add(result);
                    }

                    Console.WriteLine($"| {round} | {side} | {call} | {result.RequestsPerSecond:F0} | {result.P50Ms:F1}/{result.P99Ms:F1} |");
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | on: median req/s (min–max) | off: median req/s (min–max) | on/off (medians) | on/off per round | on p99 / off p99 ms (medians) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (call, _) in Calls)
        {
            var onRuns = results[("on", call)];
            var offRuns = results[("off", call)];
            var perRound = string.Join(" ", onRuns.Zip(offRuns, (a, b) => (a.RequestsPerSecond / b.RequestsPerSecond).ToString("F2", CultureInfo.InvariantCulture)));
            Console.WriteLine($"| {call} | {Median(onRuns, r => r.RequestsPerSecond):F0} ({onRuns.Min(r => r.RequestsPerSecond):F0}–{onRuns.Max(r => r.RequestsPerSecond):F0}) "
                + $"| {Median(offRuns, r => r.RequestsPerSecond):F0} ({offRuns.Min(r => r.RequestsPerSecond):F0}–{offRuns.Max(r => r.RequestsPerSecond):F0}) "
                + $"| {Median(onRuns, r => r.RequestsPerSecond) / Median(offRuns, r => r.RequestsPerSecond):F3} | {perRound} "
                + $"| {Median(onRuns, r => r.P99Ms):F1} / {Median(offRuns, r => r.P99Ms):F1} |");
        }
    }

    private static double Median(List<LoadResult> runs, Func<LoadResult, double> value)
    {
        var sorted = runs.Select(value).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
