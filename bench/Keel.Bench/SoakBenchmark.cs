using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Keel.Bench;

/// <summary>
/// Soak benchmark: closed-loop sends and calls at saturation against one server at a time, for N
/// minutes; per window the accepted count, the worst latency and the server's RSS. Writes one CSV
/// per server and plots them with bench/plot-soak.sh (gnuplot) when it is installed.
/// </summary>
internal static class SoakBenchmark
{
    public static async Task RunAsync(BenchArgs args)
    {
        var duration = TimeSpan.FromMinutes(args.Positional(1, 30));
        var concurrency = args.Int("concurrency", 64);
        var window = TimeSpan.FromSeconds(args.Double("window", 5));
        var outDir = args.String("out", Path.Combine(Keel.TestSupport.RepoPaths.Root, "bench", "out", $"soak-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        Directory.CreateDirectory(outDir);
        Console.WriteLine($"Soak: {duration.TotalMinutes:F1} min per server, concurrency {concurrency} (half sends to TsNoop/echo/send, half calls to TsNoop/echo), {window.TotalSeconds:F0} s windows");
        var summaries = new List<string>();
        foreach (var kind in args.Servers())
        {
            var windows = await MeasureAsync(kind, duration, concurrency, window);
            var name = kind == ServerKind.Keel ? "keel" : "restate";
            var csv = new StringBuilder("server,t_s,sends_accepted,calls_ok,accepted,errors,max_latency_ms,rss_mib,send_max_ms,call_max_ms,throttled\n");
            foreach (var w in windows)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{name},{w.EndSeconds:F0},{w.Sends},{w.Calls},{w.Sends + w.Calls},{w.Errors},{w.MaxMs:F1},{w.RssMiB:F1},{w.SendMaxMs:F1},{w.CallMaxMs:F1},{w.Throttled}\n");
            }

            var path = Path.Combine(outDir, $"soak-{name}.csv");
            await File.WriteAllTextAsync(path, csv.ToString());
            Console.WriteLine(csv.ToString());
            summaries.Add(Summary(name, windows, window));
            if (windows.Sum(w => w.Errors) > 0)
            {
                Console.WriteLine($"{name}: last error: {LoadRun.LastError}");
            }
        }

        Console.WriteLine("| server | accepted/s overall | last span / first span throughput | median window max ms | windows with max > 3x median | sends: median window max ms | sends: windows > 3x median | RSS first/last MiB | errors | throttled answers (429/503, waited out) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        summaries.ForEach(Console.WriteLine);
        Console.WriteLine($"CSV in {outDir}");
        Plot(outDir);
    }

    /// <summary>
    /// One window. The maxima include the age, at the window's end, of requests still waiting for an
    /// answer, so a stall shows in every window it spans, not only in the one where it ends.
    /// </summary>
    private sealed record Window(double EndSeconds, long Sends, long Calls, long Errors, double MaxMs, double RssMiB, double SendMaxMs, double CallMaxMs, long Throttled);

    /// <summary>Spans are 5 minutes, or a third of the run when it is shorter than 15 minutes.</summary>
    private static string Summary(string name, List<Window> windows, TimeSpan window)
    {
        var total = windows.Count * window.TotalSeconds;
        var span = Math.Max(1, (int)(Math.Min(300, total / 3) / window.TotalSeconds));
        double Throughput(IEnumerable<Window> ws) => ws.Sum(w => w.Sends + w.Calls) / (ws.Count() * window.TotalSeconds);
        var first = Throughput(windows.Take(span));
        var last = Throughput(windows.TakeLast(span));
        var maxima = windows.Select(w => w.MaxMs).Order().ToArray();
        var median = maxima.Length == 0 ? 0 : maxima[maxima.Length / 2];
        var spikes = windows.Count(w => w.MaxMs > 3 * median);
        var sendMaxima = windows.Select(w => w.SendMaxMs).Order().ToArray();
        var sendMedian = sendMaxima.Length == 0 ? 0 : sendMaxima[sendMaxima.Length / 2];
        var sendSpikes = windows.Count(w => w.SendMaxMs > 3 * sendMedian);
        return $"| {name} | {Throughput(windows):F0} | {last / first:F2} (spans of {span * window.TotalSeconds:F0} s) | {median:F0} | {spikes} of {windows.Count} | {sendMedian:F0} | {sendSpikes} of {windows.Count} | {windows[0].RssMiB:F0}/{windows[^1].RssMiB:F0} | {windows.Sum(w => w.Errors)} | {windows.Sum(w => w.Throttled)} |";
    }

    private static async Task<List<Window>> MeasureAsync(ServerKind kind, TimeSpan duration, int concurrency, TimeSpan window)
    {
        await using var server = await BenchServer.StartAsync(kind);
        using var endpoint = await BenchEndpoint.StartAsync("ts", server.AdminUrl);
        using var http = LoadRun.Client(server.IngressUrl);
        var count = (int)Math.Ceiling(duration / window);
        var sends = new long[count];
        var calls = new long[count];
        var errors = new long[count];
        var throttles = new long[count];
        var maxMs = new double[count];
        var sendMaxMs = new double[count];
        var callMaxMs = new double[count];
        var rss = new double[count];
        var startedAt = new long[concurrency]; // Stopwatch timestamp of each worker's request in flight, 0 when idle.
        var gate = new object();
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                var due = window * (i + 1) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }

                rss[i] = ProcessMemory.RssMiB(server.Pid);
                var now = Stopwatch.GetTimestamp();
                lock (gate)
                {
                    for (var w = 0; w < concurrency; w++)
                    {
                        if (Volatile.Read(ref startedAt[w]) is var started and not 0)
                        {
                            var age = Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
                            maxMs[i] = Math.Max(maxMs[i], age);
                            var perKind = w % 2 == 0 ? sendMaxMs : callMaxMs;
                            perKind[i] = Math.Max(perKind[i], age);
                        }
                    }
                }

                Console.Error.WriteLine($"  {server.Name} {window.TotalSeconds * (i + 1):F0} s: {sends[i] + calls[i]} accepted, {throttles[i]} throttled, max {maxMs[i]:F0} ms, RSS {rss[i]:F0} MiB");
            }
        });
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var isSend = w % 2 == 0;
            var path = isSend ? "/TsNoop/echo/send" : "/TsNoop/echo";
            while (clock.Elapsed < duration)
            {
                Volatile.Write(ref startedAt[w], Stopwatch.GetTimestamp());
                var (ok, ms, throttled) = await LoadRun.SendHonouringBackpressureAsync(http, () => LoadRun.Post(path, "\"x\""));
                Volatile.Write(ref startedAt[w], 0);
                // A request counts in the window it ended in.
                var i = Math.Min(count - 1, (int)(clock.Elapsed / window));
                lock (gate)
                {
                    (ok ? (isSend ? sends : calls) : errors)[i]++;
                    throttles[i] += throttled;
                    maxMs[i] = Math.Max(maxMs[i], ms);
                    var perKind = isSend ? sendMaxMs : callMaxMs;
                    perKind[i] = Math.Max(perKind[i], ms);
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        await sampler;
        return [.. Enumerable.Range(0, count).Select(i => new Window(window.TotalSeconds * (i + 1), sends[i], calls[i], errors[i], maxMs[i], rss[i], sendMaxMs[i], callMaxMs[i], throttles[i]))];
    }

    private static void Plot(string outDir)
    {
        var script = Path.Combine(Keel.TestSupport.RepoPaths.Root, "bench", "plot-soak.sh");
        try
        {
            using var plot = Process.Start(new ProcessStartInfo("bash", [script, outDir]))!;
            plot.WaitForExit();
            Console.WriteLine(plot.ExitCode == 0 ? $"Plot: {Path.Combine(outDir, "soak.png")}" : $"Plot failed ({plot.ExitCode}): run bench/plot-soak.sh {outDir} by hand.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.WriteLine($"No plot ({e.Message}).");
        }
    }
}
