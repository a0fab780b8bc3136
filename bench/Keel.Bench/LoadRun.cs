using System.Diagnostics;
using System.Text;

namespace Keel.Bench;

/// <summary>One scenario's figures. <see cref="Requests"/> counts errors too; accepted = Requests - Errors.</summary>
internal sealed record LoadResult(int Requests, int Errors, double RequestsPerSecond, double P50Ms, double P99Ms, double CpuMsPer1000)
{
    public int Accepted => Requests - Errors;
}

/// <summary>Closed-loop load: N workers each send the next request when the previous one answered.</summary>
internal static class LoadRun
{
    public static Task<LoadResult> RunAsync(HttpClient http, int concurrency, TimeSpan duration, Func<int, (string Path, string Body)> request, int endpointPid) =>
        RunAsync(http, concurrency, duration, i => request(i) is var (path, body) ? Post(path, body) : throw new InvalidOperationException(), endpointPid);

    public static async Task<LoadResult> RunAsync(HttpClient http, int concurrency, TimeSpan duration, Func<int, HttpRequestMessage> request, int endpointPid)
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
                using var message = request(i);
                i += concurrency;
                var (ok, ms) = await SendAsync(http, message);
                if (!ok)
                {
                    Interlocked.Increment(ref errors);
                }

                latencies[w].Add(ms);
            }
        }).ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        var cpu = ProcessCpu.Milliseconds(endpointPid) - cpuBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(all.Length, errors, all.Length / elapsed.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99), all.Length == 0 ? 0 : cpu * 1000.0 / all.Length);
    }

    /// <summary>A JSON POST to an ingress path, with an idempotency key when given.</summary>
    public static HttpRequestMessage Post(string path, string body, string? idempotencyKey = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            message.Headers.Add("idempotency-key", idempotencyKey);
        }

        return message;
    }

    /// <summary>The last failure seen by <see cref="SendAsync"/> (status and body, or the exception), for the reports.</summary>
    public static string? LastError { get; private set; }

    /// <summary>Sends, reads the whole answer; a non-2xx status, a connection error or a timeout is a failure.</summary>
    public static async Task<(bool Ok, double Ms)> SendAsync(HttpClient http, HttpRequestMessage message)
    {
        var started = Stopwatch.GetTimestamp();
        var (status, _) = await SendOnceAsync(http, message);
        return (status is >= 200 and < 300, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// Sends like <see cref="SendAsync"/>, but a 429 or 503 answer is retried (with a fresh message
    /// from <paramref name="request"/>) after the delay its <c>Retry-After</c> header names, 1 s
    /// without one, as a well-behaved client would. The time is the whole exchange's, waits
    /// included; the count says how many throttled answers it took.
    /// </summary>
    public static async Task<(bool Ok, double Ms, int Throttled)> SendHonouringBackpressureAsync(HttpClient http, Func<HttpRequestMessage> request)
    {
        var started = Stopwatch.GetTimestamp();
        var throttled = 0;
        while (true)
        {
            using var message = request();
            var (status, retryAfter) = await SendOnceAsync(http, message);
            if (status is 429 or 503)
            {
                throttled++;
                await Task.Delay(retryAfter ?? TimeSpan.FromSeconds(1));
                continue;
            }

            return (status is >= 200 and < 300, Stopwatch.GetElapsedTime(started).TotalMilliseconds, throttled);
        }
    }

    /// <summary>One exchange: the status (0 for a connection error or timeout) and the Retry-After delay, if any.</summary>
    private static async Task<(int Status, TimeSpan? RetryAfter)> SendOnceAsync(HttpClient http, HttpRequestMessage message)
    {
        try
        {
            using var response = await http.SendAsync(message);
            var body = await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode)
            {
                LastError = $"{(int)response.StatusCode} {Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(200, body.Length)))}";
            }

            return ((int)response.StatusCode, response.Headers.RetryAfter?.Delta);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            LastError = $"{e.GetType().Name}: {e.Message}";
            return (0, null);
        }
    }

    /// <summary>The p-quantile of sorted values (0 when empty).</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    public static HttpClient Client(Uri baseAddress) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
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
