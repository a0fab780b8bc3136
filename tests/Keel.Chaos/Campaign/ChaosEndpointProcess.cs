using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Keel.TestSupport;

namespace Keel.Chaos.Campaign;

/// <summary>
/// The campaign's services (tests/Keel.Chaos.Services, written with Keel.Sdk) as their own process on a free
/// loopback port: a nemesis can kill it without touching the server or the test.
/// </summary>
public sealed class ChaosEndpointProcess : IAsyncDisposable
{
    private Process? _process;

    private ChaosEndpointProcess(int port, string logFile)
    {
        Port = port;
        LogFile = logFile;
    }

    public int Port { get; }

    public string LogFile { get; }

    /// <summary>The side-effect ledger the services' effects append to (a file, so it outlives a kill of the endpoint).</summary>
    public string LedgerFile => Path.Combine(Path.GetDirectoryName(LogFile)!, "ledger.txt");

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public static async Task<ChaosEndpointProcess> StartAsync()
    {
        var endpoint = new ChaosEndpointProcess(FreePort.Next(), Path.Combine(Directory.CreateTempSubdirectory("keel-chaos-endpoint-").FullName, "endpoint.log"));
        await endpoint.LaunchAsync();
        return endpoint;
    }

    /// <summary>The endpoint dll built next to the test assembly's configuration (Debug or Release).</summary>
    private static string EndpointDll()
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var dll = Path.Combine(RepoPaths.Root, "tests", "Keel.Chaos.Services", "bin", configuration, "net10.0", "Keel.Chaos.Services.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build tests/Keel.Chaos.Services first.");
    }

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo("dotnet", [EndpointDll()]);
        start.Environment["PORT"] = Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["LEDGER_FILE"] = LedgerFile;
        _process?.Dispose();
        var process = ProcessLogs.Start(start, LogFile);
        _process = process;
        await Eventually.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the chaos endpoint exited with {process.ExitCode}: {ProcessLogs.Tail(LogFile)}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), "the chaos endpoint to listen");
    }

    /// <summary>SIGKILL, like a crash.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts again on the same port (the server keeps the deployment's address).</summary>
    public Task RestartAsync() => LaunchAsync();

    /// <summary>Stops the endpoint and deletes its directory (log and ledger): a dump copies them before this.</summary>
    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _process = null;
        try
        {
            Directory.Delete(Path.GetDirectoryName(LogFile)!, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary directory is no failure of the campaign.
        }
    }
}
