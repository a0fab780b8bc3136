using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Keel.Bench;

/// <summary>
/// Does SQL introspection hold up ingress? Seeds N completed (idempotent, so retained) invocations,
/// then runs the same steady open-loop load twice: alone, and while a client runs full-table
/// queries over <c>sys_invocation</c> back to back. Reports both p99s and the queries' durations,
/// for Keel and restate-server side by side.
/// </summary>
internal static class QueryBenchmark
{
    private static readonly string[] Queries =
    [
        "SELECT status, COUNT(*) AS n FROM sys_invocation GROUP BY status",
        "SELECT id, target, status, created_at FROM sys_invocation ORDER BY created_at DESC",
    ];

    public static async Task RunAsync(BenchArgs args)
    {
        var seeded = args.Int("completed", 100_000);
        var rate = args.Double("rate", 500);
        var steady = TimeSpan.FromSeconds(args.Double("steady-seconds", 30));
        Console.WriteLine($"Query load: {seeded} completed invocations seeded; open loop {rate:F0} req/s for {steady.TotalSeconds:F0} s, without and with back-to-back full-table queries.");
        Console.WriteLine();
        Console.WriteLine("| server | p99 alone (ms) | p99 with queries (ms) | max alone / with (ms) | queries run | query time p50 / max (ms) | errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var kind in args.Servers())
        {
            await MeasureAsync(kind, seeded, rate, steady);
        }
    }

    private static async Task MeasureAsync(ServerKind kind, int seeded, double rate, TimeSpan steady)
    {
        await using var server = await BenchServer.StartAsync(kind);
        using var endpoint = await BenchEndpoint.StartAsync("ts", server.AdminUrl);
        using var http = LoadRun.Client(server.IngressUrl);
        var (seedErrors, seedTime) = await FixedCount.RunAsync(http, 64, seeded, i => LoadRun.Post("/TsNoop/echo", "\"x\"", idempotencyKey: $"seed-{i}"), $"{server.Name} seed");
        Console.Error.WriteLine($"  {server.Name}: seeded {seeded} in {seedTime.TotalSeconds:F0} s ({seedErrors} errors)");

        var alone = await OpenLoop.RunAsync(http, rate, steady, _ => LoadRun.Post("/TsNoop/echo", "\"x\""));

        using var admin = new HttpClient { BaseAddress = server.AdminUrl, Timeout = TimeSpan.FromMinutes(5) };
        using var stop = new CancellationTokenSource();
        var durations = new List<double>();
        var queryErrors = 0;
        var querying = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var clock = Stopwatch.StartNew();
                using var content = new StringContent($"{{\"query\":\"{Queries[i % Queries.Length]}\"}}", Encoding.UTF8, "application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = content };
                request.Headers.Accept.ParseAdd("application/json");
                try
                {
                    using var response = await admin.SendAsync(request, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode)
                    {
                        queryErrors++;
                    }
                }
                catch (HttpRequestException)
                {
                    queryErrors++;
                }

                durations.Add(clock.Elapsed.TotalMilliseconds);
            }
        });
        var withQueries = await OpenLoop.RunAsync(http, rate, steady, _ => LoadRun.Post("/TsNoop/echo", "\"x\""));
        await stop.CancelAsync();
        await querying;

        durations.Sort();
        var p50 = durations.Count == 0 ? double.NaN : LoadRun.Percentile([.. durations], 0.5);
        var max = durations.Count == 0 ? double.NaN : durations[^1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {server.Name} | {alone.P99Ms:F1} | {withQueries.P99Ms:F1} | {alone.MaxMs:F0} / {withQueries.MaxMs:F0} | {durations.Count} | {p50:F0} / {max:F0} | {alone.Errors + withQueries.Errors} requests, {queryErrors} queries |"));
    }
}
