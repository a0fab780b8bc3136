using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Keel.Testing;

/// <summary>The TypeScript contract services (tests/oracles/services/contract.mjs) on a free port.</summary>
public sealed class NodeServicesProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NodeServicesProcess(Process process, int port, string logFile)
    {
        _process = process;
        Port = port;
        LogFile = logFile;
    }

    public int Port { get; }

    public string LogFile { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public static async Task<NodeServicesProcess> StartAsync(bool requestResponse = false)
    {
        var port = FreePort.Next();
        var log = Path.Combine(Directory.CreateTempSubdirectory("keel-node-").FullName, "node.log");
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
        return new NodeServicesProcess(process, port, log);
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
