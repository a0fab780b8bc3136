using System.Diagnostics;
using System.Globalization;

namespace Keel.TestSupport;

public sealed record KeelServerOptions
{
    public bool EnableProtocolV7 { get; init; }

    /// <summary>Reuse a data directory (restart tests); a fresh temp one by default.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>The admin API's bearer token (passed as <c>KEEL_ADMIN_TOKEN</c>); none by default.</summary>
    public string? AdminToken { get; init; }

    /// <summary>More server flags, e.g. <c>--cleanup-interval 200ms</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>More environment variables for the server process (e.g. the testing seams KEEL_TEST_*); none by default.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Another build's keel-server.dll (upgrade tests: <see cref="PreviousRelease"/>); this build's by default.</summary>
    public string? ServerDll { get; init; }
}

/// <summary>The Keel server (the built src/Keel.Server.Tool, keel-server) as a child process on loopback and free ports.</summary>
public sealed class KeelServerProcess : IServerProcess
{
    private KeelServerOptions _options;
    private readonly bool _ownsDataDirectory;
    private Process? _process;

    private KeelServerProcess(KeelServerOptions options)
    {
        _options = options;
        _ownsDataDirectory = options.DataDirectory is null;
        DataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("keel-server-").FullName;
        AdminPort = FreePort.Next();
        IngressPort = FreePort.Next();
        InternalPort = FreePort.Next();
    }

    /// <summary>The node-to-node port (listened on in cluster mode only).</summary>
    public int InternalPort { get; }

    public string DataDirectory { get; }

    public int AdminPort { get; }

    public int IngressPort { get; }

    public Uri AdminUrl => new($"http://127.0.0.1:{AdminPort}");

    public Uri IngressUrl => new($"http://127.0.0.1:{IngressPort}");

    public string LogFile => Path.Combine(DataDirectory, "server.log");

    public static async Task<KeelServerProcess> StartAsync(KeelServerOptions? options = null)
    {
        var server = new KeelServerProcess(options ?? new KeelServerOptions());
        await server.LaunchAsync();
        return server;
    }

    /// <summary>The server dll built next to the test assembly's configuration (Debug or Release).</summary>
    public static string ServerDll()
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var dll = Path.Combine(RepoPaths.Root, "src", "Keel.Server.Tool", "bin", configuration, "net10.0", "keel-server.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build src/Keel.Server.Tool first.");
    }

    private async Task LaunchAsync()
    {
        string[] args = ["--data-dir", DataDirectory, "--ingress-port", IngressPort.ToString(CultureInfo.InvariantCulture), "--admin-port", AdminPort.ToString(CultureInfo.InvariantCulture),
            "--internal-port", InternalPort.ToString(CultureInfo.InvariantCulture)];
        var start = new ProcessStartInfo("dotnet", [_options.ServerDll ?? ServerDll(), .. args, .. _options.EnableProtocolV7 ? new[] { "--enable-protocol-v7" } : [], .. _options.ExtraArguments]);
        if (_options.AdminToken is { } token)
        {
            start.Environment["KEEL_ADMIN_TOKEN"] = token;
        }

        foreach (var (name, value) in _options.Environment)
        {
            start.Environment[name] = value;
        }

        _process = ProcessLogs.Start(start, LogFile);
        await ServerProcesses.WaitUntilHealthyAsync(_process, LogFile, AdminUrl, IngressUrl, "the Keel server");
    }

    /// <summary>Whether the server process ended on its own (a crash or a deliberate stop with an exit code).</summary>
    public bool HasExited => _process is { HasExited: true };

    /// <summary>SIGKILL, like a crash.</summary>
    public Task KillAsync() => ServerProcesses.KillAsync(_process);

    /// <summary>SIGSTOP: the process freezes (a long GC pause, a VM stall) without its sockets closing.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    /// <summary>SIGCONT: a paused process runs on, unaware of the time it lost.</summary>
    public Task ResumeAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        var pid = _process?.Id ?? throw new InvalidOperationException("The server is not running.");
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Starts again on the same data directory and ports.</summary>
    public Task RestartAsync() => LaunchAsync();

    /// <summary>Starts again on the same data directory and ports with changed options (another environment: a clock jump, say).</summary>
    public Task RestartAsync(Func<KeelServerOptions, KeelServerOptions> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _options = change(_options);
        return LaunchAsync();
    }

    public KeelServerOptions Options => _options;

    /// <summary>SIGTERM, and waits until the process has exited: a clean stop (a cluster node gives its leases back).</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        await SignalAsync("TERM");
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>A clean stop, then the same node (data directory, ports, flags) started from another build: an upgrade in place.</summary>
    public async Task UpgradeAsync(string? serverDll = null)
    {
        await StopAsync();
        _options = _options with { ServerDll = serverDll };
        await LaunchAsync();
    }

    /// <summary>Which build runs: null for this one, else the dll it was started from.</summary>
    public string? Build => _options.ServerDll;

    /// <summary>Kills the server and deletes its data directory; a second call does nothing (fixtures may share a process).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        await KillAsync();
        _process.Dispose();
        _process = null;
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }
}

/// <summary>What tests need of a Restate-compatible server process, Keel's or the official one.</summary>
public interface IServerProcess : IAsyncDisposable
{
    Uri AdminUrl { get; }

    Uri IngressUrl { get; }

    string LogFile { get; }

    Task KillAsync();

    Task RestartAsync();
}
