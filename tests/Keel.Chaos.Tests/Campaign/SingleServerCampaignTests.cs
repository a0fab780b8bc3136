using Keel.Chaos.Campaign;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
using Keel.TestSupport;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// The campaign CI runs (about 35 s): every workload — sets, registers, side effects with an exactly-once ledger,
/// ordered one-way sends, delayed sends, workflows woken by a promise and an awakeable — on one Keel server on RocksDB, with the services in their own endpoint process,
/// while a seeded nemesis kills the server with SIGKILL (restart on its data directory), pauses it with SIGSTOP
/// (SIGCONT later), or kills the endpoint (restart on its port), sometimes two of these at once. Every checker
/// must pass and every indeterminate request must complete after the heal. A failure dumps the history, the
/// ledger and the logs and names the seed to replay it with.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class SingleServerCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_workload_stays_correct_while_the_server_is_killed_or_paused_and_the_endpoint_killed()
    {
        var seed = CiCampaign.Seed(output);
        var random = new Random(seed);

        await using var server = await KeelServerProcess.StartAsync();
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        var options = new WorkloadOptions { IngressUrl = server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 2 };
        var nemesis = new CompositeNemesis(new KillServerNemesis(server), new PauseServerNemesis(server), new KillEndpointNemesis(endpoint));
        var schedule = new NemesisSchedule(nemesis, new Random(random.Next())) { MaxFaulty = TimeSpan.FromSeconds(3) };
        var workloads = CiCampaign.Workloads(options, random, endpoint.LedgerFile, clockJumps: false);
        var campaign = new CampaignRunner(seed, workloads, schedule) { Duration = CampaignEnvironment.Duration(TimeSpan.FromSeconds(20)) };

        var report = await campaign.RunAsync();

        var effects = workloads.OfType<EffectsWorkload>().Single();
        output.WriteLine($"effects run again within their invocation (absorbed by the effect's idempotency key): {effects.ReExecutions}");
        await CiCampaign.AssertValidAsync(report, output, [server.LogFile, endpoint.LogFile, endpoint.LedgerFile], minFaults: 1);
    }
}
