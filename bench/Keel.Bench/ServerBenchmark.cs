using System.Diagnostics;
using Keel.Testing;

namespace Keel.Bench;

/// <summary>
/// Server benchmark: the same TypeScript endpoint behind the Keel server and behind the official
/// restate-server, one after the other in one run.
/// </summary>
internal static class ServerBenchmark
{
    public static async Task RunAsync(TimeSpan duration)
    {
        var scenarios = new (string Name, int Concurrency, Func<int, (string, string)> Request)[]
        {
            ("no-op call", 16, _ => ("/TsNoop/echo", "\"x\"")),
            ("object add, 1 key", 16, _ => ("/TsCounter/one/add", "1")),
            ("object add, 1000 keys", 64, i => ($"/TsCounter/k{i % 1000}/add", "1")),
            ("service-to-service call", 16, _ => ("/TsProxy/call", "\"x\"")),
            ("send (202)", 16, _ => ("/TsNoop/echo/send", "\"x\"")),
        };

        var keel = await MeasureAsync(await KeelServerProcess.StartAsync(), scenarios, duration);
        var restate = await MeasureAsync(await RestateServerProcess.StartAsync(), scenarios, duration);
        Console.WriteLine("| scenario | concurrency | Keel req/s | Restate req/s | ratio | Keel p50/p99 ms | Restate p50/p99 ms | errors (Keel/Restate) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        for (var i = 0; i < scenarios.Length; i++)
        {
            var (k, r) = (keel[i], restate[i]);
            Console.WriteLine($"| {scenarios[i].Name} | {scenarios[i].Concurrency} | {k.RequestsPerSecond:F0} | {r.RequestsPerSecond:F0} | {k.RequestsPerSecond / r.RequestsPerSecond:F2} | {k.P50Ms:F1}/{k.P99Ms:F1} | {r.P50Ms:F1}/{r.P99Ms:F1} | {k.Errors}/{r.Errors} |");
        }
    }

    private static async Task<List<LoadResult>> MeasureAsync(IServerProcess server, (string Name, int Concurrency, Func<int, (string, string)> Request)[] scenarios, TimeSpan duration)
    {
        await using (server)
        {
            var port = FreePort.Next();
            var log = Path.Combine(Directory.CreateTempSubdirectory("keel-bench-").FullName, "ts.log");
            var ts = ProcessLogs.Start(new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "bench", "ts-endpoint.mjs")]) { Environment = { ["PORT"] = port.ToString() } }, log);
            try
            {
                using (var admin = new AdminClient(server.AdminUrl))
                {
                    await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{port}"));
                }

                using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = server.IngressUrl, Timeout = TimeSpan.FromSeconds(60) };
                var results = new List<LoadResult>();
                foreach (var (_, concurrency, request) in scenarios)
                {
                    await LoadRun.RunAsync(http, concurrency, TimeSpan.FromSeconds(1), request, ts.Id);
                    results.Add(await LoadRun.RunAsync(http, concurrency, duration, request, ts.Id));
                }

                return results;
            }
            finally
            {
                ts.Kill(entireProcessTree: true);
            }
        }
    }
}
