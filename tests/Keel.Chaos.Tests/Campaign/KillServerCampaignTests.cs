using Keel.Chaos.Campaign;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
using Keel.TestSupport;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// The first campaign, short enough for CI: sets and registers (services written with Keel.Sdk, in their own
/// endpoint process) on one Keel server on RocksDB, which is killed with SIGKILL and restarted on its data
/// directory at seeded random moments. Set-full and linearizability must hold, every indeterminate add must
/// complete after the heal. A failure dumps the history and the logs and names the seed to replay it with.
/// </summary>
public sealed class KillServerCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sets_and_registers_stay_correct_while_the_server_is_killed_and_restarted()
    {
        var seed = CampaignEnvironment.Seed();
        output.WriteLine($"seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it)");
        var random = new Random(seed);

        await using var server = await KeelServerProcess.StartAsync();
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        var options = new WorkloadOptions { IngressUrl = server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 2 };
        var schedule = new NemesisSchedule(new KillServerNemesis(server), new Random(random.Next()));
        var campaign = new CampaignRunner(seed, [new SetWorkload(options), new RegisterWorkload(options with { Seed = random.Next(), Keys = 3 })], schedule)
        {
            Duration = CampaignEnvironment.Duration(TimeSpan.FromSeconds(20)),
        };

        var report = await campaign.RunAsync();

        output.WriteLine(report.Summary());
        if (!report.IsValid)
        {
            var dump = await report.DumpAsync([server.LogFile, endpoint.LogFile]);
            Assert.Fail($"The fault campaign found a violation; history and logs in {dump}{Environment.NewLine}{report.Summary()}");
        }

        // It tested something: faults happened, and work was acknowledged (the final reads after the heal included).
        Assert.True(report.Faults >= 1, report.Summary());
        var acknowledged = Keel.Chaos.History.Operations.Pair(report.Ops).Count(o => o.IsOk);
        Assert.True(acknowledged >= 50, report.Summary());
    }
}
