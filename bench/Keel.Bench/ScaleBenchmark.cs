using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Keel.Bench;

/// <summary>
/// Scale benchmark: a server holding many retained completed invocations and pending timers.
/// Seeds N completed invocations (no-op calls with an idempotency key, so both servers retain them
/// for their 1-day idempotency retention) and M pending timers (sends delayed by days), then
/// measures RSS, the p99 and worst latency of a steady open-loop load, and the time from a SIGKILL
/// restart on the same data directory to the first answer.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task RunAsync(BenchArgs args)
    {
        var settings = new Settings(
            Completed: args.Int("completed", 1_000_000),
            Timers: args.Int("timers", 100_000),
            Rate: args.Double("rate", 500),
            Steady: TimeSpan.FromSeconds(args.Double("steady-seconds", 60)),
            SeedConcurrency: args.Int("seed-concurrency", 64),
            TimerDelay: args.String("timer-delay", "7d"),
            RetentionSeconds: args.String("retention") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null,
            Lookups: args.Int("lookups", 0),
            SeedEndpoint: args.String("seed-endpoint", "ts"),
            DataFrom: args.String("data-from"),
            LoadEndpoint: args.String("load-endpoint", "ts"),
            Warmup: TimeSpan.FromSeconds(args.Double("warmup-seconds", 0)));
        Console.WriteLine($"Scale: {settings.Completed} completed invocations retained, {settings.Timers} pending timers (delay {settings.TimerDelay}), " +
            $"steady open loop {settings.Rate:F0} req/s for {settings.Steady.TotalSeconds:F0} s, seeding at concurrency {settings.SeedConcurrency}.");
        var results = new Dictionary<ServerKind, List<(string Metric, double Value, string Unit)>>();
        foreach (var kind in args.Servers())
        {
            results[kind] = await MeasureAsync(kind, settings);
        }

        Console.WriteLine();
        Console.WriteLine("| metric | Keel | Restate | Keel/Restate |");
        Console.WriteLine("|---|---|---|---|");
        var metrics = results.Values.First();
        for (var i = 0; i < metrics.Count; i++)
        {
            var k = results.TryGetValue(ServerKind.Keel, out var kv) ? kv[i].Value : double.NaN;
            var r = results.TryGetValue(ServerKind.Restate, out var rv) ? rv[i].Value : double.NaN;
            var ratio = double.IsNaN(k) || double.IsNaN(r) || r == 0 ? "-" : (k / r).ToString("F2", CultureInfo.InvariantCulture);
            Console.WriteLine($"| {metrics[i].Metric} ({metrics[i].Unit}) | {Format(k)} | {Format(r)} | {ratio} |");
        }

        Console.WriteLine();
        if (settings.RetentionSeconds is not null)
        {
            Console.WriteLine("Retention sweep: restate's idempotency and journal retention were set to the given value through PATCH /services/TsNoop and its");
            Console.WriteLine("[worker] cleanup-interval shortened (Keel: the same through its flags), and the steady load repeated once the seeded invocations expired.");
        }

        Console.WriteLine("Keel gets the same retention through --default-retention and --cleanup-interval; held completions are counted with SQL on both servers.");
    }

    private sealed record Settings(int Completed, int Timers, double Rate, TimeSpan Steady, int SeedConcurrency, string TimerDelay, int? RetentionSeconds, int Lookups, string SeedEndpoint, string? DataFrom, string LoadEndpoint, TimeSpan Warmup);

    private static string Format(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString(value >= 100 || value == Math.Floor(value) ? "F0" : "F1", CultureInfo.InvariantCulture);

    private static async Task<List<(string, double, string)>> MeasureAsync(ServerKind kind, Settings settings)
    {
        var retention = settings.RetentionSeconds;
        var cleanupInterval = retention is { } seconds ? $"{Math.Max(1, Math.Min(seconds, (int)settings.Steady.TotalSeconds / 3))}s" : null;
        string[]? keelArgs = retention is { } r0 ? ["--default-retention", $"{r0}s", "--cleanup-interval", cleanupInterval!] : null;
        // --data-from: a data directory already holding the completed invocations (e.g. kept by `lookup --keep`,
        // which seeds `seed-0` … `seed-{N-1}` through the ingress the same way), copied in instead of seeding them.
        var dataFrom = kind == ServerKind.Keel ? settings.DataFrom : null;
        await using var server = await BenchServer.StartAsync(kind, cleanupInterval, keelArgs, dataFrom: dataFrom);
        using var endpoint = await BenchEndpoint.StartAsync("ts", server.AdminUrl);

        // Seeding a million runs a million handlers (six minutes at the 2,800/s of a quiet run, hours on a
        // busy machine); the C# endpoint (CsNoop, registered beside the TS one) runs the same no-op at a
        // fraction of the CPU. The retained invocations are the same records either way, and the measured
        // load still goes to TsNoop.
        using var seeder = settings.SeedEndpoint == "ts" ? null : await BenchEndpoint.StartAsync(settings.SeedEndpoint, server.AdminUrl);
        var seedPrefix = (seeder ?? endpoint).Prefix;

        // --load-endpoint cs: the steady load, the sweep and the restart's first call go to the C# endpoint,
        // whose tail is not node's: the server's own worst pause shows without the TS endpoint's.
        using var loader = settings.LoadEndpoint == "ts" || settings.LoadEndpoint == settings.SeedEndpoint ? null : await BenchEndpoint.StartAsync(settings.LoadEndpoint, server.AdminUrl);
        var load = settings.LoadEndpoint == "ts" ? endpoint : loader ?? seeder!;
        var loadPath = $"/{load.Prefix}Noop/echo";
        using var http = LoadRun.Client(server.IngressUrl);
        var rows = new List<(string, double, string)>();
        void Add(string metric, double value, string unit)
        {
            rows.Add((metric, value, unit));
            Console.Error.WriteLine($"  {server.Name}: {metric}: {Format(value)} {unit}");
        }

        void AddStalls(string phase, (int Count, double MaxMs, double MaxGcMs) stalls)
        {
            // Keel's own stall monitor (restate-server has none: n/a).
            var keel = kind == ServerKind.Keel;
            Add($"{phase}: server process stalls >= 20 ms", keel ? stalls.Count : double.NaN, "count");
            Add($"{phase}: longest server process stall", keel ? stalls.MaxMs : double.NaN, "ms");
            Add($"{phase}: GC pause within the longest stall", keel ? stalls.MaxGcMs : double.NaN, "ms");
        }

        Add("RSS, empty", ProcessMemory.RssMiB(server.Pid), "MiB");
        if (retention is not null && kind == ServerKind.Restate)
        {
            using var admin = new HttpClient { BaseAddress = server.AdminUrl };
            using var patch = await admin.PatchAsJsonAsync("/services/TsNoop", new Dictionary<string, string> { ["idempotency_retention"] = $"{retention}s", ["journal_retention"] = $"{retention}s" });
            Console.Error.WriteLine($"  {server.Name}: PATCH idempotency_retention=journal_retention={retention}s, cleanup-interval={cleanupInterval}: {(int)patch.StatusCode} {await patch.Content.ReadAsStringAsync()}");
        }

        var (completedErrors, completedTime) = dataFrom is not null
            ? (0, TimeSpan.Zero)
            : await FixedCount.RunAsync(http, settings.SeedConcurrency, settings.Completed,
                i => LoadRun.Post($"/{seedPrefix}Noop/echo", "\"x\"", idempotencyKey: $"seed-{i}"), $"{server.Name} completed");
        var seededAt = Stopwatch.StartNew();
        Add("seed completed calls", dataFrom is not null ? double.NaN : settings.Completed / completedTime.TotalSeconds, "req/s");
        var (timerErrors, timerTime) = await FixedCount.RunAsync(http, settings.SeedConcurrency, settings.Timers,
            i => LoadRun.Post($"/{seedPrefix}Noop/echo/send?delay={settings.TimerDelay}", "\"x\""), $"{server.Name} timers");
        Add("seed delayed sends", settings.Timers / timerTime.TotalSeconds, "req/s");
        Add("seed errors", completedErrors + timerErrors, "count");
        await Task.Delay(TimeSpan.FromSeconds(5));
        Add("RSS, seeded", ProcessMemory.RssMiB(server.Pid), "MiB");
        Add("data dir", DirectoryMiB(server), "MiB");
        Add("seeded (idempotent) completions held", await CompletedCountAsync(server), "count");

        // Reads from storage: calls repeating seeded idempotency keys, scattered over all of them,
        // are answered from the retained result (the idempotency key, then the invocation's status
        // and output), without running the handler again.
        if (settings.Lookups > 0)
        {
            var (lookupErrors, lookupTime) = await FixedCount.RunAsync(http, settings.SeedConcurrency, settings.Lookups,
                i => LoadRun.Post($"/{seedPrefix}Noop/echo", "\"x\"", idempotencyKey: $"seed-{(int)((long)i * 7919 % settings.Completed)}"), $"{server.Name} lookups");
            Add("repeated idempotent calls (retained result)", settings.Lookups / lookupTime.TotalSeconds, "req/s");
            Add("repeated idempotent call errors", lookupErrors, "count");
        }
        else
        {
            Add("repeated idempotent calls (retained result)", double.NaN, "req/s");
            Add("repeated idempotent call errors", double.NaN, "count");
        }

        if (settings.Warmup > TimeSpan.Zero)
        {
            // The same load, not measured: first connections and first calls (code run for the first time in
            // the server and the endpoint) would otherwise be the steady phase's worst pause.
            await OpenLoop.RunAsync(http, settings.Rate, settings.Warmup, _ => LoadRun.Post(loadPath, "\"x\""));
        }

        var steadyMark = server.LogMark();
        var latenciesBefore = kind == ServerKind.Keel ? await ServerLatencyCounts.ScrapeAsync(server.AdminUrl) : null;
        var steady = await OpenLoop.RunAsync(http, settings.Rate, settings.Steady, _ => LoadRun.Post(loadPath, "\"x\""));
        var latenciesAfter = kind == ServerKind.Keel ? await ServerLatencyCounts.ScrapeAsync(server.AdminUrl) : null;
        double Slow(string histogram) => latenciesAfter is null ? double.NaN : latenciesAfter.Above(histogram, "0.02") - latenciesBefore!.Above(histogram, "0.02");
        Add("steady p50", steady.P50Ms, "ms");
        Add("steady p99", steady.P99Ms, "ms");
        Add("steady p99.9", steady.P999Ms, "ms");
        Add("steady max (worst pause)", steady.MaxMs, "ms");
        Add("steady: worst request scheduled at", steady.WorstAtSeconds, "s");
        Add("steady: load generator's own worst lag", steady.MaxStartLagMs, "ms");
        Add("steady: requests over 20 ms, seen by the load generator", steady.Over20Ms, "count");
        Console.Error.WriteLine($"  {server.Name}: steady: seconds with the most requests over 20 ms (second:count): {steady.SlowSeconds}");
        Add("steady: attempts over 20 ms, seen by the server (server -> endpoint -> server)", Slow(ServerLatencyCounts.Attempts), "count");
        Add("steady: batch commits over 20 ms, seen by the server", Slow(ServerLatencyCounts.Commits), "count");
        AddStalls("steady", server.StallsSince(steadyMark));
        Add("steady achieved", steady.AchievedPerSecond, "req/s");
        Add("steady errors", steady.Errors, "count");
        Add("RSS, after steady load", ProcessMemory.RssMiB(server.Pid), "MiB");
        Add("RSS peak (VmHWM)", ProcessMemory.PeakRssMiB(server.Pid), "MiB");

        if (retention is { } r)
        {
            var wait = TimeSpan.FromSeconds(r) - seededAt.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var sweepMark = server.LogMark();
            var sweep = await OpenLoop.RunAsync(http, settings.Rate, settings.Steady, _ => LoadRun.Post(loadPath, "\"x\""));
            Add("sweep p99", sweep.P99Ms, "ms");
            Add("sweep max (worst pause)", sweep.MaxMs, "ms");
            Add("sweep: load generator's own worst lag", sweep.MaxStartLagMs, "ms");
            AddStalls("sweep", server.StallsSince(sweepMark));
            Add("RSS, after sweep", ProcessMemory.RssMiB(server.Pid), "MiB");
            Add("data dir, after sweep", DirectoryMiB(server), "MiB");
            Add("seeded completions held, after sweep", await CompletedCountAsync(server), "count");
        }
        else
        {
            Add("sweep p99", double.NaN, "ms");
            Add("sweep max (worst pause)", double.NaN, "ms");
            Add("sweep: load generator's own worst lag", double.NaN, "ms");
            AddStalls("sweep", (0, double.NaN, double.NaN));
            Add("RSS, after sweep", double.NaN, "MiB");
            Add("data dir, after sweep", double.NaN, "MiB");
            Add("seeded completions held, after sweep", double.NaN, "count");
        }

        // Crash and restart on the same data directory: time to health, then to the first real answer.
        await server.KillAsync();
        var clock = Stopwatch.StartNew();
        var health = await server.LaunchAsync(TimeSpan.FromMinutes(10));
        while (true)
        {
            using var message = LoadRun.Post(loadPath, "\"x\"");
            if ((await LoadRun.SendAsync(http, message)).Ok)
            {
                break;
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new TimeoutException($"{server.Name} did not answer a call within 10 minutes of its restart.");
            }

            await Task.Delay(5);
        }

        var firstAnswer = clock.Elapsed;
        Add("restart to health", health.TotalMilliseconds, "ms");
        Add("restart to first call answered", firstAnswer.TotalMilliseconds, "ms");
        var (readyMs, storageMs) = server.LastStart();
        Add("restart: ready, by the server's own log", readyMs, "ms");
        Add("restart: storage opened, by the server's own log", storageMs, "ms");
        Add("RSS, after restart", ProcessMemory.RssMiB(server.Pid), "MiB");
        return rows;
    }

    /// <summary>How many seeded (idempotent) completions the server still holds: SQL over either server's admin API (<c>POST /query</c>).</summary>
    private static async Task<double> CompletedCountAsync(BenchServer server)
    {
        using var admin = new HttpClient { BaseAddress = server.AdminUrl, Timeout = TimeSpan.FromMinutes(2) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query")
        {
            Content = JsonContent.Create(new { query = "SELECT count(*) AS n FROM sys_invocation WHERE status = 'completed' AND idempotency_key IS NOT NULL" }),
        };
        request.Headers.Accept.ParseAdd("application/json");
        try
        {
            using var response = await admin.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            using var json = System.Text.Json.JsonDocument.Parse(body);
            return json.RootElement.GetProperty("rows")[0].GetProperty("n").GetDouble();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            Console.Error.WriteLine($"  {server.Name}: /query failed: {e.Message}");
            return double.NaN;
        }
    }

    private static double DirectoryMiB(BenchServer server) =>
        new DirectoryInfo(server.DataDirectory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) / 1048576.0;
}
