using System.Net;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// Callers waiting at a node for invocations whose partitions move to a node that joins: each caller
/// follows its invocation to the new owner and gets its result there (the node attaches to it), with
/// its id; nobody gets a 503 that would make a client send the request again.
/// </summary>
public sealed class RebalanceFollowTests : IAsyncLifetime
{
    // Twelve, so that some land on the partitions that move (all staying put: about one run in 4,000).
    private const int Workflows = 12;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private KeelCluster _cluster = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KeelCluster.StartAsync(1);
        _services = await NodeServicesProcess.StartAsync();
        using var admin = new AdminClient(_cluster.Nodes[0].AdminUrl);
        await admin.RegisterDeploymentAsync(_services.Url);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Callers_waiting_on_a_node_that_gives_partitions_away_get_their_results_from_the_new_owner()
    {
        // Twelve workflow runs, each caller waiting at node-1, which serves every partition so far.
        using var first = new IngressClient(_cluster.Nodes[0].IngressUrl);
        var calls = Enumerable.Range(0, Workflows).Select(i => first.CallAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/run", $"input-{i}")).ToList();
        using var admin = new AdminClient(_cluster.Nodes[0].AdminUrl);
        await Eventually.UntilAsync(async () =>
        {
            var rows = await admin.QueryAsync($"SELECT id FROM sys_invocation WHERE target LIKE 'BlockAndWaitWorkflow/{_run}-wf-%/run'");
            return rows.Length == Workflows;
        }, TimeSpan.FromSeconds(60), "every run to be accepted");

        // A second node joins: about half the partitions move to it, with their waiting callers' invocations.
        await _cluster.AddNodeAsync();
        await _cluster.WaitUntilSpreadAsync(["node-1", "node-2"]);
        var moved = KeelCluster.Owners(await KeelCluster.StatusAsync(_cluster.Nodes[0])).Count(p => p.Value == "node-2");
        Assert.True(moved > 0, "no partition moved to the new node");

        using var second = new IngressClient(_cluster.Nodes[1].IngressUrl);
        for (var i = 0; i < Workflows; i++)
        {
            IngressResponse unblock;
            try
            {
                unblock = await second.CallAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/unblock", $"output-{i}");
            }
            catch (TaskCanceledException e)
            {
                // An unanswered unblock is the failure to explain: the nodes' logs say where the call went.
                throw new TimeoutException($"unblock {i} got no answer: {e.Message}\n{_cluster.Logs()}", e);
            }

            Assert.True(unblock.IsSuccess, $"unblock {i}: {(int)unblock.Status} {unblock.Body}");
        }

        for (var i = 0; i < Workflows; i++)
        {
            var answer = await calls[i];
            Assert.True(answer.Status == HttpStatusCode.OK, $"run {i} answered {(int)answer.Status}: {answer.Body}\n{_cluster.Logs()}");
            Assert.Equal($"output-{i}", answer.Json.GetString());
            Assert.StartsWith("inv_", answer.InvocationId, StringComparison.Ordinal);
        }
    }
}
