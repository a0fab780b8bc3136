using System.Net;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A node forwards requests for partitions it does not serve to their owner. When that owner is
/// killed, requests entering the survivor wait for the take-over and are answered (once each),
/// instead of a 503 until the survivor's next lease round shows the new owner.
/// </summary>
public sealed class DeadOwnerForwardTests : IAsyncLifetime
{
    // Sixteen keys over six partitions, half of them on the node that dies: all sixteen on the
    // survivor's partitions would be one run in 65,536.
    private const int Keys = 16;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private KeelCluster _cluster = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KeelCluster.StartAsync(2);
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
    public async Task Requests_entering_the_survivor_right_after_the_owner_is_killed_are_answered_once_after_the_take_over()
    {
        await _cluster.WaitUntilSpreadAsync(["node-1", "node-2"]);
        using var survivor = new IngressClient(_cluster.Nodes[0].IngressUrl);

        // Every key once through node-1 (forwarded to node-2 for its partitions): node-1 knows node-2 as their owner.
        for (var k = 0; k < Keys; k++)
        {
            var warm = await survivor.CallAsync($"/Counter/{_run}-k{k}/add", 1);
            Assert.True(warm.IsSuccess, $"key {k}: {(int)warm.Status} {warm.Body}");
        }

        await _cluster.Nodes[1].KillAsync();

        // No idempotency keys: a request sent twice to the database would show as a count of 3.
        var answers = await Task.WhenAll(Enumerable.Range(0, Keys).Select(k => survivor.CallAsync($"/Counter/{_run}-k{k}/add", 1)));
        for (var k = 0; k < Keys; k++)
        {
            Assert.True(answers[k].Status == HttpStatusCode.OK, $"key {k} answered {(int)answers[k].Status}: {answers[k].Body}\n{_cluster.Logs()}");
        }

        await _cluster.WaitUntilSpreadAsync(["node-1"]);
        for (var k = 0; k < Keys; k++)
        {
            Assert.Equal(2, (await survivor.CallAsync($"/Counter/{_run}-k{k}/get")).Json.GetInt32());
        }
    }
}
