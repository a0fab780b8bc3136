using System.Diagnostics;
using System.Text;

namespace Keel.Bench;

/// <summary>One scenario's figures.</summary>
internal sealed record LoadResult(int Requests, int Errors, double RequestsPerSecond, double P50Ms, double P99Ms, double CpuMsPer1000);

/// <summary>Closed-loop load: N workers each send the next request when the previous one answered.</summary>
internal static class LoadRun
{
    public static async Task<LoadResult> RunAsync(HttpClient http, int concurrency, TimeSpan duration, Func<int, (string Path, string Body)> request, int endpointPid)
    {
        var latencies = new List<double>[concurrency];
        var errors = 0;
        var cpuBefore = ProcessCpu.Milliseconds(endpointPid);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            latencies[w] = [];
            var i = w;
            while (clock.Elapsed < duration)
            {
                var (path, body) = request(i);
                i += concurrency;
                var started = Stopwatch.GetTimestamp();
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
                await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[w].Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var cpu = ProcessCpu.Milliseconds(endpointPid) - cpuBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(p * all.Length))];
        return new LoadResult(all.Length, errors, all.Length / elapsed.TotalSeconds, Percentile(0.50), Percentile(0.99), all.Length == 0 ? 0 : cpu * 1000.0 / all.Length);
    }
}

/// <summary>CPU time (user + system) a process used so far, from /proc.</summary>
internal static class ProcessCpu
{
    public static double Milliseconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of /proc/pid/stat (utime, stime) in clock ticks of 10 ms.
        return (long.Parse(fields[11]) + long.Parse(fields[12])) * 10.0;
    }
}
