using Keel.Chaos.Campaign;
using Keel.Chaos.Disk;
using Keel.Chaos.Network;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
using Keel.TestSupport;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// The second CI campaign (about 45 s): the same six workloads on one Keel server, under the faults of what the
/// server stands on rather than of its process: the link to the endpoint through a TCP proxy (dropped
/// connections, delays, resets mid-stream, a blackhole), the store through its testing seam (commits refused,
/// after which the server must stop visibly; slow commits), the wall clock jumping forward or back across a
/// restart, and a real full disk (the database directory is a small tmpfs, filled with a ballast file). One
/// fault at a time, each kind in turn, so every kind strikes in a short run. Every checker must pass.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class SingleServerInfrastructureFaultsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_workload_stays_correct_through_network_storage_clock_and_full_disk_faults()
    {
        var seed = CampaignEnvironment.Seed();
        output.WriteLine($"seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it)");
        var random = new Random(seed);
        var directory = Directory.CreateTempSubdirectory("keel-chaos-infrastructure-").FullName;
        try
        {
            await RunAsync(seed, random, directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task RunAsync(int seed, Random random, string directory)
    {
        var data = Path.Combine(directory, "data");
        // The database directory (data/db) on a small tmpfs; the log and schema stay on the real disk.
        var (disk, refusal) = await TmpfsMount.TryMountAsync(Path.Combine(data, "db"), megabytes: 128);
        await using var unmount = disk;
        if (refusal is not null)
        {
            output.WriteLine($"full disk left out of this run: this machine refuses to mount a tmpfs ({refusal}); CI runs as root, where it is included");
        }

        var storeFaults = Path.Combine(directory, "store-faults");
        await using var server = await KeelServerProcess.StartAsync(new KeelServerOptions
        {
            DataDirectory = data,
            Environment = new Dictionary<string, string> { [StoreFaultNemesis.Seam(storeFaults).Key] = storeFaults },
        });
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        // The server reaches the endpoint only through the proxy: the deployment is registered at the proxy's port.
        await using var link = TcpProxy.ToLoopback(endpoint.Port);
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{link.Port}"));
        }

        INemesis[] kinds =
        [
            new NetworkNemesis("server→endpoint", link),
            new StoreFaultNemesis(server, storeFaults),
            new ClockJumpNemesis(server),
            .. disk is null ? Array.Empty<INemesis>() : [new FullDiskNemesis(server, disk)],
        ];
        var schedule = new NemesisSchedule(new EachInTurnNemesis(kinds), new Random(random.Next()))
        {
            // Short quiet and faulty times: the faults that stop the server take a restart each, and all four kinds
            // must strike within the run even on a slow machine.
            MinQuiet = TimeSpan.FromSeconds(0.5),
            MaxQuiet = TimeSpan.FromSeconds(1),
            MaxFaulty = TimeSpan.FromSeconds(1.5),
        };
        var options = new WorkloadOptions { IngressUrl = server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 2 };
        IWorkload[] workloads =
        [
            new SetWorkload(options),
            new RegisterWorkload(options with { Seed = random.Next(), Keys = 3 }),
            new EffectsWorkload(options with { Seed = random.Next(), Clients = 2 }, endpoint.LedgerFile),
            new SendWorkload(options with { Seed = random.Next(), Clients = 2 }),
            // The clock jumps forward: alarms then run before their due time by the endpoint's clock, which is allowed.
            new DelayedSendWorkload(options with { Seed = random.Next(), Clients = 2 }) { ClockJumps = true },
            new WorkflowWorkload(options with { Seed = random.Next(), Clients = 2 }, endpoint.LedgerFile),
        ];
        var campaign = new CampaignRunner(seed, workloads, schedule) { Duration = CampaignEnvironment.Duration(TimeSpan.FromSeconds(35)) };

        var report = await campaign.RunAsync();

        output.WriteLine(report.Summary());
        if (!report.IsValid)
        {
            var dump = await report.DumpAsync([server.LogFile, endpoint.LogFile, endpoint.LedgerFile]);
            Assert.Fail($"The fault campaign found a violation; history and logs in {dump}{Environment.NewLine}{report.Summary()}");
        }

        // Every kind of fault struck (they take turns), and work was acknowledged.
        Assert.True(report.Faults >= kinds.Length, report.Summary());
        var acknowledged = Keel.Chaos.History.Operations.Pair(report.Ops).Count(o => o.IsOk);
        Assert.True(acknowledged >= 50, report.Summary());
    }
}
