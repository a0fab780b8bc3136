using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Keel.TestSupport;

/// <summary>
/// TypeScript services from tests/oracles/services on a free port: the contract services (contract.mjs) by default,
/// or another script of that folder with its own environment.
/// </summary>
public sealed class NodeServicesProcess : IAsyncDisposable
{
    private readonly string _script;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process _process;

    private NodeServicesProcess(Process process, int port, string logFile, string script, IReadOnlyDictionary<string, string> environment)
    {
        _process = process;
        Port = port;
        LogFile = logFile;
        _script = script;
        _environment = environment;
    }

    public int Port { get; }

    public string LogFile { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>The contract services; <paramref name="requestResponse"/> serves HTTP/1.1 request-response instead of h2c.</summary>
    public static Task<NodeServicesProcess> StartAsync(bool requestResponse = false) =>
        StartAsync("contract.mjs", requestResponse ? new Dictionary<string, string> { ["MODE"] = "request-response" } : new Dictionary<string, string>());

    /// <summary>Another script of tests/oracles/services, with extra environment variables (PORT is set here).</summary>
    public static async Task<NodeServicesProcess> StartAsync(string script, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var port = FreePort.Next();
        var log = Path.Combine(Directory.CreateTempSubdirectory("keel-node-").FullName, "node.log");
        return new NodeServicesProcess(await LaunchAsync(script, environment, port, log), port, log, script, environment);
    }

    /// <summary>SIGKILL the endpoint (a crash mid-invocation), then start it again on the same port.</summary>
    public async Task CrashAndRestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = await LaunchAsync(_script, _environment, Port, LogFile);
    }

    private static async Task<Process> LaunchAsync(string script, IReadOnlyDictionary<string, string> environment, int port, string log)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "tests", "oracles", "services", script)]);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);

        var process = ProcessLogs.Start(start, log);
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"node exited with {process.ExitCode}: {ProcessLogs.Tail(log)}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the TypeScript services to listen");
        return process;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
