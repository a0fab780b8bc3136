using Keel.Chaos.Disk;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Network;
using Keel.TestSupport;

namespace Keel.Chaos.Campaign;

/// <summary>
/// One Keel server on RocksDB set up for the faults of what it stands on: its store reads the store-fault seam,
/// its database directory may sit on a small tmpfs (a real full disk, where the machine lets this process mount
/// one), and it reaches the services' endpoint only through a TCP proxy (the deployment is registered at the
/// proxy's port). Shared by the CI infrastructure campaign and the long server run.
/// </summary>
public sealed class ProxiedServer : IAsyncDisposable
{
    private ProxiedServer(KeelServerProcess server, ChaosEndpointProcess endpoint, TcpProxy link, string storeFaults, TmpfsMount? disk)
    {
        Server = server;
        Endpoint = endpoint;
        Link = link;
        StoreFaults = storeFaults;
        Disk = disk;
    }

    public KeelServerProcess Server { get; }

    public ChaosEndpointProcess Endpoint { get; }

    public TcpProxy Link { get; }

    /// <summary>The seam's directory (<see cref="StoreFaultNemesis.Seam"/>).</summary>
    public string StoreFaults { get; }

    /// <summary>The tmpfs under the database directory; null when the machine refused it (or none was asked for).</summary>
    public TmpfsMount? Disk { get; }

    /// <summary>Why no tmpfs could be mounted, when one was asked for and refused.</summary>
    public string? DiskRefusal { get; private init; }

    public string[] Logs => [Server.LogFile, Endpoint.LogFile, Endpoint.LedgerFile];

    /// <summary>Starts it all under <paramref name="directory"/>; <paramref name="diskMegabytes"/> null: no tmpfs.</summary>
    public static async Task<ProxiedServer> StartAsync(string directory, int? diskMegabytes)
    {
        var data = Path.Combine(directory, "data");
        // The database directory (data/db) on the tmpfs; the log and schema stay on the real disk.
        var (disk, refusal) = diskMegabytes is { } megabytes ? await TmpfsMount.TryMountAsync(Path.Combine(data, "db"), megabytes) : (null, null);
        var storeFaults = Path.Combine(directory, "store-faults");
        KeelServerProcess? server = null;
        ChaosEndpointProcess? endpoint = null;
        try
        {
            server = await KeelServerProcess.StartAsync(new KeelServerOptions
            {
                DataDirectory = data,
                Environment = new Dictionary<string, string> { [StoreFaultNemesis.Seam(storeFaults).Key] = storeFaults },
            });
            endpoint = await ChaosEndpointProcess.StartAsync();
            var link = TcpProxy.ToLoopback(endpoint.Port);
            using (var admin = new AdminClient(server.AdminUrl))
            {
                await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{link.Port}"));
            }

            return new ProxiedServer(server, endpoint, link, storeFaults, disk) { DiskRefusal = refusal };
        }
        catch
        {
            await DisposeAllAsync(null, endpoint, server, disk);
            throw;
        }
    }

    /// <summary>The faults of what the server stands on: the link to the endpoint, the store, the wall clock, and the full disk when there is a tmpfs.</summary>
    public INemesis[] InfrastructureNemeses() =>
    [
        new NetworkNemesis("server→endpoint", Link),
        new StoreFaultNemesis(Server, StoreFaults),
        new ClockJumpNemesis(Server),
        .. Disk is null ? Array.Empty<INemesis>() : [new FullDiskNemesis(Server, Disk)],
    ];

    public async ValueTask DisposeAsync() => await DisposeAllAsync(Link, Endpoint, Server, Disk);

    private static async Task DisposeAllAsync(TcpProxy? link, ChaosEndpointProcess? endpoint, KeelServerProcess? server, TmpfsMount? disk)
    {
        if (link is not null)
        {
            await link.DisposeAsync();
        }

        if (endpoint is not null)
        {
            await endpoint.DisposeAsync();
        }

        if (server is not null)
        {
            await server.DisposeAsync();
        }

        if (disk is not null)
        {
            await disk.DisposeAsync();
        }
    }
}
