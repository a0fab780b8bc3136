using Keel.Chaos.Campaign;
using Keel.Chaos.History;
using Xunit.Abstractions;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// The cluster's short campaign in CI: every workload on two nodes sharing one PostgreSQL while a seeded nemesis kills
/// a node or PostgreSQL, restarts a node with its clock moved, or breaks the links between the nodes and between a node
/// and the database (<see cref="ClusterCampaign"/>, the same campaign the runner's <c>cluster</c> mode runs for longer).
/// Every checker must pass and every indeterminate request must complete after the heal; a failure dumps the history
/// and every log and names the seed to replay it with.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class ClusterCampaignTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_workload_stays_correct_on_two_nodes_while_nodes_postgres_and_links_fail()
    {
        var seed = CiCampaign.Seed(output);

        var (report, dump) = await ClusterCampaign.RunAsync(seed, CampaignEnvironment.Duration(TimeSpan.FromSeconds(20)));

        output.WriteLine(report.Summary());
        Assert.True(dump is null, $"The cluster fault campaign found a violation; history and logs in {dump}{Environment.NewLine}{report.Summary()}");
        Assert.True(report.Faults >= 1, report.Summary());
        Assert.True(Operations.Pair(report.Ops).Count(o => o.IsOk) >= 50, report.Summary());
    }
}
