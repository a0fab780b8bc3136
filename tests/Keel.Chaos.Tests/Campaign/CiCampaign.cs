using Keel.Chaos.Campaign;
using Keel.Chaos.History;
using Keel.Chaos.Workloads;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>What the single-server CI campaigns share: the six workloads on one ingress, and the verdict on the report.</summary>
internal static class CiCampaign
{
    /// <summary>A seed for the run (<see cref="CampaignEnvironment.Seed"/>), written to the output so a failure can be replayed.</summary>
    public static int Seed(ITestOutputHelper output)
    {
        var seed = CampaignEnvironment.Seed();
        output.WriteLine($"seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it)");
        return seed;
    }

    /// <summary>Sets, registers, side effects, ordered sends, delayed sends and workflows, each with a seed of its own.</summary>
    public static IWorkload[] Workloads(WorkloadOptions options, Random random, string ledgerFile, bool clockJumps) =>
    [
        new SetWorkload(options),
        new RegisterWorkload(options with { Seed = random.Next(), Keys = 3 }),
        new EffectsWorkload(options with { Seed = random.Next(), Clients = 2 }, ledgerFile),
        new SendWorkload(options with { Seed = random.Next(), Clients = 2 }),
        // With clock jumps forward, alarms run before their due time by the endpoint's clock, which is then allowed.
        new DelayedSendWorkload(options with { Seed = random.Next(), Clients = 2 }) { ClockJumps = clockJumps },
        new WorkflowWorkload(options with { Seed = random.Next(), Clients = 2 }, ledgerFile),
    ];

    /// <summary>
    /// Every checker passed (else the history and logs are dumped and the test fails naming where), at least
    /// <paramref name="minFaults"/> faults struck and work was acknowledged: the run tested something.
    /// </summary>
    public static async Task AssertValidAsync(CampaignReport report, ITestOutputHelper output, string[] logs, int minFaults)
    {
        output.WriteLine(report.Summary());
        if (!report.IsValid)
        {
            var dump = await report.DumpAsync(logs);
            Assert.Fail($"The fault campaign found a violation; history and logs in {dump}{Environment.NewLine}{report.Summary()}");
        }

        Assert.True(report.Faults >= minFaults, report.Summary());
        var acknowledged = Operations.Pair(report.Ops).Count(o => o.IsOk);
        Assert.True(acknowledged >= 50, report.Summary());
    }
}
