using System.Diagnostics;
using System.Globalization;

namespace Keel.Bench;

/// <summary>
/// A restart with a million overdue timers: seeds M delayed sends to <c>TsTally/hit</c>, all due at the
/// same moment, kills the server (SIGKILL) before they are due, waits until they are overdue, starts it
/// again on the same data and samples its RSS while they fire, until the endpoint has run every one.
/// </summary>
internal static class OverdueTimersBenchmark
{
    public static async Task RunAsync(BenchArgs args)
    {
        var timers = args.Int("timers", 1_000_000);
        var dueAfter = TimeSpan.FromSeconds(args.Double("due-after-seconds", 300));
        var concurrency = args.Int("seed-concurrency", 64);
        var drainTimeout = TimeSpan.FromMinutes(args.Double("drain-timeout-minutes", 60));
        Console.WriteLine($"Overdue timers: {timers} delayed sends (TsTally/hit) all due {dueAfter.TotalSeconds:F0} s after seeding starts; " +
            "SIGKILL once seeded, restart once due, RSS sampled every 100 ms until the endpoint ran them all.");
        Console.WriteLine();
        Console.WriteLine("| server | seeded (req/s) | RSS before the kill (MiB) | restart to health (s) | peak RSS while firing (MiB) | RSS when all ran (MiB) | restart to all ran (s) | fired/s | seed errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var kind in args.Servers())
        {
            await MeasureAsync(kind, timers, dueAfter, concurrency, drainTimeout);
        }
    }

    private static async Task MeasureAsync(ServerKind kind, int timers, TimeSpan dueAfter, int concurrency, TimeSpan drainTimeout)
    {
        await using var server = await BenchServer.StartAsync(kind);
        using var endpoint = await BenchEndpoint.StartAsync("ts", server.AdminUrl);
        using var http = LoadRun.Client(server.IngressUrl);

        // Every send names the delay left until one common moment, so all come due together.
        var due = DateTimeOffset.UtcNow + dueAfter;
        var (errors, seedTime) = await FixedCount.RunAsync(http, concurrency, timers, _ =>
        {
            var delay = due - DateTimeOffset.UtcNow;
            if (delay <= TimeSpan.FromSeconds(5))
            {
                throw new InvalidOperationException($"Seeding did not finish before the timers came due: raise --due-after-seconds (now {dueAfter.TotalSeconds:F0}).");
            }

            return LoadRun.Post($"/TsTally/hit/send?delay={(long)delay.TotalMilliseconds}ms", "null");
        }, $"{server.Name} timers");
        var seededRss = ProcessMemory.RssMiB(server.Pid);
        Console.Error.WriteLine($"  {server.Name}: seeded {timers} in {seedTime.TotalSeconds:F0} s ({errors} errors), RSS {seededRss:F0} MiB; killing it, due in {(due - DateTimeOffset.UtcNow).TotalSeconds:F0} s");
        await server.KillAsync();
        var wait = due - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var before = await endpoint.TallyAsync();
        var clock = Stopwatch.StartNew();
        var health = await server.LaunchAsync(TimeSpan.FromMinutes(10));
        var peak = 0.0;
        var samples = new List<(double Seconds, double Rss, long Ran)>();
        var target = before + timers - errors;
        long ran;
        while ((ran = await endpoint.TallyAsync()) < target && clock.Elapsed < drainTimeout)
        {
            var rss = ProcessMemory.RssMiB(server.Pid);
            peak = Math.Max(peak, rss);
            if (samples.Count == 0 || clock.Elapsed.TotalSeconds - samples[^1].Seconds >= 10)
            {
                samples.Add((clock.Elapsed.TotalSeconds, rss, ran - before));
                Console.Error.WriteLine($"  {server.Name}: {clock.Elapsed.TotalSeconds:F0} s after the restart: RSS {rss:F0} MiB, {ran - before} ran");
            }

            await Task.Delay(100);
        }

        var allRan = clock.Elapsed;
        var finalRss = ProcessMemory.RssMiB(server.Pid);
        // VmHWM covers the whole life of the restarted process, between the samples too.
        peak = Math.Max(peak, ProcessMemory.PeakRssMiB(server.Pid));
        var complete = ran >= target;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {server.Name} | {timers / seedTime.TotalSeconds:F0} | {seededRss:F0} | {health.TotalSeconds:F1} | {peak:F0} | {finalRss:F0} | {(complete ? allRan.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) : $"> {drainTimeout.TotalSeconds:F0} ({ran - before} ran)")} | {(ran - before) / allRan.TotalSeconds:F0} | {errors} |"));
    }
}
