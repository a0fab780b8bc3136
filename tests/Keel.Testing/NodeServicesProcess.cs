using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Keel.Testing;

/// <summary>The TypeScript contract services (tests/oracles/services/contract.mjs) on a free port.</summary>
public sealed class NodeServicesProcess : IAsyncDisposable
{
    private readonly bool _requestResponse;
    private Process _process;

    private NodeServicesProcess(Process process, int port, string logFile, bool requestResponse)
    {
        _process = process;
        Port = port;
        LogFile = logFile;
        _requestResponse = requestResponse;
    }

    public int Port { get; }

    public string LogFile { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public static async Task<NodeServicesProcess> StartAsync(bool requestResponse = false)
    {
        var port = FreePort.Next();
        var log = Path.Combine(Directory.CreateTempSubdirectory("keel-node-").FullName, "node.log");
        return new NodeServicesProcess(await LaunchAsync(port, log, requestResponse), port, log, requestResponse);
    }

    /// <summary>SIGKILL the endpoint (a crash mid-invocation), then start it again on the same port.</summary>
    public async Task CrashAndRestartAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = await LaunchAsync(Port, LogFile, _requestResponse);
    }

    private static async Task<Process> LaunchAsync(int port, string log, bool requestResponse)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(RepoPaths.Root, "tests", "oracles", "services", "contract.mjs")]);
        start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        if (requestResponse)
        {
            start.Environment["MODE"] = "request-response";
        }

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
