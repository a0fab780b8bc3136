using System.Diagnostics;
using System.Globalization;

namespace Keel.TestSupport;

public sealed record RestateServerOptions
{
    /// <summary>Sets RESTATE_EXPERIMENTAL_ENABLE_PROTOCOL_V7 (the default server negotiates V6).</summary>
    public bool EnableProtocolV7 { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>The official restate-server (from npm) on loopback, free ports and a fresh temp base dir.</summary>
public sealed class RestateServerProcess : IServerProcess
{
    private readonly string _baseDir;
    private readonly string _config;
    private readonly RestateServerOptions _options;
    private Process? _process;

    private RestateServerProcess(RestateServerOptions options)
    {
        _options = options;
        _baseDir = Directory.CreateTempSubdirectory("keel-restate-").FullName;
        AdminPort = FreePort.Next();
        IngressPort = FreePort.Next();
        var fabricPort = FreePort.Next();
        _config = Path.Combine(_baseDir, "restate.toml");
        File.WriteAllText(_config, string.Create(CultureInfo.InvariantCulture, $"""
            node-name = "test"
            base-dir = "{_baseDir}/data"
            bind-ip = "127.0.0.1"
            bind-port = {fabricPort}
            listen-mode = "tcp"
            disable-telemetry = true
            [admin]
            bind-port = {AdminPort}
            [ingress]
            bind-port = {IngressPort}
            [worker]
            cleanup-interval = "1s"
            """));
    }

    public int AdminPort { get; }

    public int IngressPort { get; }

    public Uri AdminUrl => new($"http://127.0.0.1:{AdminPort}");

    public Uri IngressUrl => new($"http://127.0.0.1:{IngressPort}");

    public string LogFile => Path.Combine(_baseDir, "server.log");

    public static async Task<RestateServerProcess> StartAsync(RestateServerOptions? options = null)
    {
        var server = new RestateServerProcess(options ?? new RestateServerOptions());
        await server.LaunchAsync();
        return server;
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo(RepoPaths.RestateServerBinary, ["-c", _config, "--no-logo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_options.EnableProtocolV7)
        {
            start.Environment["RESTATE_EXPERIMENTAL_ENABLE_PROTOCOL_V7"] = "true";
        }

        foreach (var (key, value) in _options.Environment)
        {
            start.Environment[key] = value;
        }

        _process = ProcessLogs.Start(start, LogFile);
        await ServerProcesses.WaitUntilHealthyAsync(_process, LogFile, AdminUrl, IngressUrl, "restate-server");
    }

    /// <summary>SIGKILL, like a crash.</summary>
    public Task KillAsync() => ServerProcesses.KillAsync(_process);

    /// <summary>Starts again on the same base dir and ports.</summary>
    public Task RestartAsync() => LaunchAsync();

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_baseDir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind is harmless.
        }
    }
}
