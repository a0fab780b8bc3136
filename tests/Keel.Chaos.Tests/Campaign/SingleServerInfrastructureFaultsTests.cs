using Keel.Chaos.Campaign;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
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
        var seed = CiCampaign.Seed(output);
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
        await using var rig = await ProxiedServer.StartAsync(directory, diskMegabytes: 512);
        if (rig.DiskRefusal is { } refusal)
        {
            output.WriteLine($"full disk left out of this run: this machine refuses to mount a tmpfs ({refusal}); CI runs as root, where it is included");
        }

        var kinds = rig.InfrastructureNemeses();
        var schedule = new NemesisSchedule(new EachInTurnNemesis(kinds), new Random(random.Next()))
        {
            // Short quiet and faulty times: the faults that stop the server take a restart each, and all four kinds
            // must strike within the run even on a slow machine.
            MinQuiet = TimeSpan.FromSeconds(0.5),
            MaxQuiet = TimeSpan.FromSeconds(1),
            MaxFaulty = TimeSpan.FromSeconds(1.5),
        };
        var options = new WorkloadOptions { IngressUrl = rig.Server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 2 };
        var workloads = CiCampaign.Workloads(options, random, rig.Endpoint.LedgerFile, clockJumps: true);
        var campaign = new CampaignRunner(seed, workloads, schedule) { Duration = CampaignEnvironment.Duration(TimeSpan.FromSeconds(35)) };

        var report = await campaign.RunAsync();

        // Every kind of fault struck (they take turns).
        await CiCampaign.AssertValidAsync(report, output, rig.Logs, minFaults: kinds.Length);
    }
}
