using System.Diagnostics;
using System.Globalization;
using Keel.TestSupport;

namespace Keel.Bench;

/// <summary>
/// The benchmark's service endpoint: bench/ts-endpoint.mjs (services prefixed Ts) or
/// bench/Keel.Bench.Endpoint (prefixed Cs), with its tally port (distinct Tally/hit invocations run).
/// </summary>
internal sealed class BenchEndpoint : IDisposable
{
    private readonly Process _process;
    private readonly int _tallyPort;
    private readonly HttpClient _tally = new() { Timeout = TimeSpan.FromSeconds(10) };

    private BenchEndpoint(string kind)
    {
        Prefix = kind == "cs" ? "Cs" : "Ts";
        Port = FreePort.Next();
        _tallyPort = FreePort.Next();
        var log = Path.Combine(Directory.CreateTempSubdirectory("keel-bench-").FullName, $"{kind}.log");
        ProcessStartInfo start;
        if (kind == "cs")
        {
            var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
            start = new("dotnet", [Path.Combine(RepoPaths.Root, "bench", "Keel.Bench.Endpoint", "bin", configuration, "net10.0", "Keel.Bench.Endpoint.dll")]);
        }
        else
        {
            start = new("node", [Path.Combine(RepoPaths.Root, "bench", "ts-endpoint.mjs")]);
        }

        start.Environment["PORT"] = Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["TALLY_PORT"] = _tallyPort.ToString(CultureInfo.InvariantCulture);
        _process = ProcessLogs.Start(start, log);
    }

    /// <summary>"Ts" or "Cs": the service name prefix.</summary>
    public string Prefix { get; }

    public int Port { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the endpoint ("ts" or "cs") and registers it with the server at <paramref name="adminUrl"/>.</summary>
    public static async Task<BenchEndpoint> StartAsync(string kind, Uri adminUrl)
    {
        var endpoint = new BenchEndpoint(kind);
        using var admin = new AdminClient(adminUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{endpoint.Port}"));
        return endpoint;
    }

    /// <summary>Distinct Tally/hit invocations the endpoint ran so far.</summary>
    public async Task<long> TallyAsync() =>
        long.Parse(await _tally.GetStringAsync(new Uri($"http://127.0.0.1:{_tallyPort}/")), CultureInfo.InvariantCulture);

    /// <summary>Polls the tally until it reaches <paramref name="target"/>; false on timeout.</summary>
    public async Task<bool> WaitForTallyAsync(long target, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (await TallyAsync() < target)
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    public void Dispose()
    {
        _process.Kill(entireProcessTree: true);
        _process.Dispose();
        _tally.Dispose();
    }
}
