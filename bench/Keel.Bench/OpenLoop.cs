using System.Diagnostics;

namespace Keel.Bench;

/// <summary>Open-loop figures: latency is measured from each request's scheduled start, so a stall counts in full.</summary>
/// <remarks>
/// <see cref="MaxStartLagMs"/> is how late the load generator itself sent a request (its own GC or a
/// starved thread pool on a shared machine): a pause that shows there is not the server's.
/// </remarks>
/// <param name="WorstAtSeconds">When the slowest request was scheduled, in seconds into the run: a worst pause in the first second is often the warm-up (new connections), not the steady state.</param>
/// <param name="P999Ms">The 99.9th percentile: with a single outlier, what the other slow requests took.</param>
internal sealed record OpenLoopResult(int Requests, int Errors, double AchievedPerSecond, double P50Ms, double P99Ms, double MaxMs, double MaxStartLagMs, double WorstAtSeconds = double.NaN, double P999Ms = double.NaN, int Over20Ms = 0, string SlowSeconds = "");

/// <summary>Open-loop load: requests start on a fixed schedule (rate per second) whether or not earlier ones answered.</summary>
internal static class OpenLoop
{
    public static async Task<OpenLoopResult> RunAsync(HttpClient http, double rate, TimeSpan duration, Func<int, HttpRequestMessage> request)
    {
        var total = (int)(rate * duration.TotalSeconds);
        var latencies = new double[total];
        var startLags = new double[total];
        var errors = 0;
        var inFlight = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total;)
        {
            // Start every request whose scheduled time has come, then sleep a tick.
            var due = Math.Min(total, (int)(clock.Elapsed.TotalSeconds * rate) + 1);
            for (; i < due; i++)
            {
                var index = i;
                var scheduledMs = index * 1000.0 / rate;
                inFlight.Add(Task.Run(async () =>
                {
                    using var message = request(index);
                    startLags[index] = clock.Elapsed.TotalMilliseconds - scheduledMs;
                    var (ok, _) = await LoadRun.SendAsync(http, message);
                    latencies[index] = clock.Elapsed.TotalMilliseconds - scheduledMs;
                    if (!ok)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
        var elapsed = clock.Elapsed;
        var sorted = latencies.Order().ToArray();
        var worst = total == 0 ? 0 : Array.IndexOf(latencies, latencies.Max());
        return new OpenLoopResult(total, errors, total / elapsed.TotalSeconds, LoadRun.Percentile(sorted, 0.50), LoadRun.Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1], startLags.DefaultIfEmpty().Max(),
            WorstAtSeconds: worst / rate, P999Ms: LoadRun.Percentile(sorted, 0.999), Over20Ms: latencies.Count(l => l > 20),
            SlowSeconds: SlowestSeconds(latencies, rate));
    }

    /// <summary>
    /// The five seconds of the run (by scheduled start) with the most requests over 20 ms, as
    /// "second:count": slow requests bunched in a few seconds point at an event (a flush, a collection),
    /// spread thinly at scheduling noise.
    /// </summary>
    private static string SlowestSeconds(double[] latencies, double rate) => string.Join(" ", latencies
        .Select((latency, index) => (Second: (int)(index / rate), Slow: latency > 20))
        .Where(r => r.Slow)
        .GroupBy(r => r.Second)
        .OrderByDescending(g => g.Count())
        .ThenBy(g => g.Key)
        .Take(5)
        .Select(g => $"{g.Key}:{g.Count()}"));
}

/// <summary>Closed loop over a fixed number of requests (seeding): <paramref name="concurrency"/> workers take the next index until all are sent.</summary>
internal static class FixedCount
{
    public static async Task<(int Errors, TimeSpan Elapsed)> RunAsync(HttpClient http, int concurrency, int total, Func<int, HttpRequestMessage> request, string label)
    {
        var next = -1;
        var errors = 0;
        var done = 0;
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ => Console.Error.WriteLine($"  {label}: {Volatile.Read(ref done)}/{total} in {clock.Elapsed.TotalSeconds:F0} s"), null, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < total; i = Interlocked.Increment(ref next))
            {
                using var message = request(i);
                var (ok, _) = await LoadRun.SendAsync(http, message);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }

                Interlocked.Increment(ref done);
            }
        }));
        return (errors, clock.Elapsed);
    }
}
