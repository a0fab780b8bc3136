using System.Diagnostics;
using System.Globalization;
using Keel.TestSupport;

namespace Keel.Bench;

/// <summary>
/// Failover under load: three nodes on one PostgreSQL take object adds at c64 (over 1000 keys); a third
/// of the way into the window one node is killed with SIGKILL. From that moment, probes on 64 other
/// keys (spread over every partition, so over the dead node's too) are sent through the surviving nodes
/// and resent every 100 ms until answered: the time until the last of them is answered is when the
/// dead node's partitions answer again. Repeated on a fresh cluster each time; the median is reported.
/// </summary>
internal static class ClusterFailover
{
    private const int Concurrency = 64;
    private const int Probes = 64;

    public static async Task RunAsync(PostgresServer postgres, TimeSpan duration, int count, TimeSpan? lease)
    {
        var answered = new List<double>();
        for (var run = 1; run <= count; run++)
        {
            answered.Add(await OnceAsync(postgres, duration, lease, run));
        }

        if (answered.Count > 0)
        {
            answered.Sort();
            Console.WriteLine($"Failover over {answered.Count} kill(s): p50 {answered[answered.Count / 2]:F2} s, min {answered[0]:F2} s, max {answered[^1]:F2} s from kill -9 to its partitions answering again.");
        }
    }

    private static async Task<double> OnceAsync(PostgresServer postgres, TimeSpan duration, TimeSpan? lease, int run)
    {
        var nodes = await ClusterBenchmark.StartNodesAsync(postgres, 3, $"bench_failover_{Guid.NewGuid():N}", lease);
        try
        {
            using var endpoint = await BenchEndpoint.StartAsync("ts", nodes[0].AdminUrl);
            using var http = LoadRun.Client(nodes[0].IngressUrl);
            var live = new[] { true, true, true };
            Uri Live(int i) => nodes[Enumerable.Range(i, 3).Select(n => n % 3).First(n => Volatile.Read(ref live[n]))].IngressUrl;
            HttpRequestMessage Request(int i) => ClusterBenchmark.Absolute(Live(i), $"/{endpoint.Prefix}Counter/k{i % 1000}/add", "1");

            var window = duration * 3;
            var load = LoadRun.RunAsync(http, Concurrency, window, Request, endpoint.Pid);
            await Task.Delay(window / 3);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref live[1], false);
            await nodes[1].KillAsync();
            var probes = await Task.WhenAll(Enumerable.Range(0, Probes).Select(async key =>
            {
                while (true)
                {
                    var message = ClusterBenchmark.Absolute(Live(key), $"/{endpoint.Prefix}Counter/probe{key}/add", "1");
                    if ((await LoadRun.SendAsync(http, message)).Ok)
                    {
                        return clock.Elapsed;
                    }

                    await Task.Delay(100);
                }
            }));
            var answeredAgain = probes.Max();
            await ClusterBenchmark.WaitUntilSpreadAsync([nodes[0], nodes[2]], 2);
            var spread = clock.Elapsed;
            var result = await load;
            Console.WriteLine(
                $"Failover {run} (3 nodes, lease {(lease is { } l ? l.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s" : "default")}, object add over 1000 keys c{Concurrency}, one node killed after {window.TotalSeconds / 3:F0} s of {window.TotalSeconds:F0} s): " +
                $"its partitions answered again {answeredAgain.TotalSeconds:F2} s after kill -9 (the lease table showed them taken over by {spread.TotalSeconds:F2} s); " +
                $"over the whole window {result.RequestsPerSecond:F0} req/s, p50/p99 {result.P50Ms:F1}/{result.P99Ms:F1} ms, {result.Errors} failed requests " +
                $"(cut off by the kill or answered 503 while the partitions moved; last: {LoadRun.LastError ?? "-"}).");
            return answeredAgain.TotalSeconds;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
