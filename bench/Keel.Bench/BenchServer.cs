using System.Diagnostics;
using System.Globalization;
using Keel.TestSupport;

namespace Keel.Bench;

internal enum ServerKind
{
    Keel,
    Restate,
}

/// <summary>
/// The Keel server or restate-server as a child process whose pid the benchmark reads (RSS) and which
/// it can kill and start again on the same data directory and ports (restart timing). The test
/// fixtures hide the pid and pin restate's cleanup interval to 1 s, hence this small launcher.
/// </summary>
internal sealed partial class BenchServer : IAsyncDisposable
{
    private readonly string _baseDir;
    private readonly string? _restateConfig;
    private readonly string[] _keelArgs;
    private readonly bool _keep;
    private Process? _process;

    private BenchServer(ServerKind kind, string? restateCleanupInterval, string[]? keelArgs, string? baseDir)
    {
        _keelArgs = keelArgs ?? [];
        Kind = kind;
        _keep = baseDir is not null;
        _baseDir = baseDir is null
            ? Directory.CreateTempSubdirectory($"keel-bench-{kind.ToString().ToLowerInvariant()}-").FullName
            : Directory.CreateDirectory(baseDir).FullName;
        AdminPort = FreePort.Next();
        IngressPort = FreePort.Next();
        if (kind == ServerKind.Restate)
        {
            _restateConfig = Path.Combine(_baseDir, "restate.toml");
            var cleanup = restateCleanupInterval is null ? string.Empty : $"[worker]\ncleanup-interval = \"{restateCleanupInterval}\"\n";
            File.WriteAllText(_restateConfig, string.Create(CultureInfo.InvariantCulture, $"""
                node-name = "bench"
                base-dir = "{_baseDir}/data"
                bind-ip = "127.0.0.1"
                bind-port = {FreePort.Next()}
                listen-mode = "tcp"
                disable-telemetry = true
                [admin]
                bind-port = {AdminPort}
                [ingress]
                bind-port = {IngressPort}

                """) + cleanup);
        }
    }

    public ServerKind Kind { get; }

    public string Name => Kind == ServerKind.Keel ? "Keel" : "Restate";

    public int AdminPort { get; }

    public int IngressPort { get; }

    public Uri AdminUrl => new($"http://127.0.0.1:{AdminPort}");

    public Uri IngressUrl => new($"http://127.0.0.1:{IngressPort}");

    public string LogFile => Path.Combine(_baseDir, "server.log");

    /// <summary>Where the server keeps its data (Keel's --data-dir, restate's base-dir).</summary>
    public string DataDirectory => Path.Combine(_baseDir, "data");

    public int Pid => _process?.Id ?? throw new InvalidOperationException("The server is not running.");

    /// <param name="restateCleanupInterval">restate's <c>[worker] cleanup-interval</c>; its default (1 h) when null.</param>
    /// <param name="keelArgs">Extra flags for the Keel server (e.g. <c>--default-retention</c>, <c>--cleanup-interval</c>).</param>
    /// <param name="baseDir">
    /// A directory to keep the data (and log) in, kept afterwards so a later run can reuse what was seeded
    /// (the ports are new each run); a fresh temporary directory, deleted afterwards, when null.
    /// </param>
    /// <param name="dataFrom">A data directory to copy in before the first start (a copy: the original stays as it is).</param>
    public static async Task<BenchServer> StartAsync(ServerKind kind, string? restateCleanupInterval = null, string[]? keelArgs = null, string? baseDir = null,
        string? dataFrom = null)
    {
        var server = new BenchServer(kind, restateCleanupInterval, keelArgs, baseDir);
        if (dataFrom is not null)
        {
            CopyDirectory(dataFrom, server.DataDirectory);
        }

        await server.LaunchAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    /// <summary>Starts the process and waits until admin /health and ingress /restate/health answer 200; returns the time that took.</summary>
    public async Task<TimeSpan> LaunchAsync(TimeSpan timeout)
    {
        ProcessStartInfo start = Kind == ServerKind.Keel
            ? new("dotnet", [KeelServerDll(), "--data-dir", DataDirectory, "--ingress-port", IngressPort.ToString(CultureInfo.InvariantCulture), "--admin-port", AdminPort.ToString(CultureInfo.InvariantCulture), .. _keelArgs])
            : new(RepoPaths.RestateServerBinary, ["-c", _restateConfig!, "--no-logo"]);
        if (Kind == ServerKind.Keel)
        {
            // Every stall of 20 ms or more goes to the log, where StallsSince reads them.
            start.Environment["Logging__LogLevel__Keel.Server.Telemetry.StallMonitor"] = "Debug";
        }

        var clock = Stopwatch.StartNew();
        _process = ProcessLogs.Start(start, LogFile);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {ProcessLogs.Tail(LogFile)}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{Name} not healthy after {timeout}: {ProcessLogs.Tail(LogFile)}");
            }

            try
            {
                using var ingress = await http.GetAsync(new Uri(IngressUrl, "/restate/health"));
                if (ingress.IsSuccessStatusCode)
                {
                    using var admin = await http.GetAsync(new Uri(AdminUrl, "/health"));
                    if (admin.IsSuccessStatusCode)
                    {
                        return clock.Elapsed;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Where the log ends now (for <see cref="StallsSince"/>).</summary>
    public long LogMark() => File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;

    /// <summary>
    /// The stalls of the Keel server process logged since a mark (its stall monitor: the whole process
    /// stood still, e.g. a blocking garbage collection): their count, the longest, and the garbage
    /// collector's pause time within the longest. Empty for restate-server.
    /// </summary>
    public (int Count, double MaxMs, double MaxGcMs) StallsSince(long mark)
    {
        if (Kind != ServerKind.Keel || !File.Exists(LogFile))
        {
            return (0, 0, 0);
        }

        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Min(mark, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var stalls = StallLine().Matches(reader.ReadToEnd())
            .Select(m => (Ms: double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), GcMs: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .ToList();
        var longest = stalls.Count == 0 ? (Ms: 0.0, GcMs: 0.0) : stalls.MaxBy(s => s.Ms);
        return (stalls.Count, longest.Ms, longest.GcMs);
    }

    /// <summary>
    /// What the Keel server logged about its last start: ready (ports open, storage opened, partitions
    /// recovering) and storage opened, in ms, from its own clock; NaN for restate-server or when not logged.
    /// The difference to the time measured from outside is the process and runtime start.
    /// </summary>
    public (double ReadyMs, double StorageMs) LastStart()
    {
        if (Kind != ServerKind.Keel || !File.Exists(LogFile))
        {
            return (double.NaN, double.NaN);
        }

        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var last = ReadyLine().Matches(reader.ReadToEnd()).LastOrDefault();
        return last is null
            ? (double.NaN, double.NaN)
            : (double.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(last.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"ready in (\d+) ms \(storage opened in (\d+) ms\)")]
    private static partial System.Text.RegularExpressions.Regex ReadyLine();

    [System.Text.RegularExpressions.GeneratedRegex(@"stalled for (\d+) ms \(garbage collection pauses in that time: (\d+) ms")]
    private static partial System.Text.RegularExpressions.Regex StallLine();

    /// <summary>SIGKILL, like a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (_keep)
        {
            return;
        }

        try
        {
            Directory.Delete(_baseDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind is harmless.
        }
    }

    /// <summary>
    /// The keel-server build to run: <c>KEEL_SERVER_DLL</c> when set (e.g. a ReadyToRun publish, see
    /// docs/benchmarks.md), else the build output next to this benchmark's configuration.
    /// </summary>
    private static string KeelServerDll()
    {
        if (Environment.GetEnvironmentVariable("KEEL_SERVER_DLL") is { Length: > 0 } chosen)
        {
            return File.Exists(chosen) ? Path.GetFullPath(chosen) : throw new FileNotFoundException($"KEEL_SERVER_DLL names {chosen}, which does not exist.");
        }

        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var dll = Path.Combine(RepoPaths.Root, "src", "Keel.Server.Tool", "bin", configuration, "net10.0", "keel-server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build bench/Keel.Bench (it builds src/Keel.Server.Tool).");
    }
}
