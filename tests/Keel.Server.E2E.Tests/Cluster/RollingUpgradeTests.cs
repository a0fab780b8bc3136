using System.Diagnostics;
using Xunit.Abstractions;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A rolling upgrade: three nodes of the previous release on one database, each stopped cleanly and
/// started again from this build, one at a time, under load entering at every node. While the
/// cluster is mixed, hand-overs, forwarding and leases work between the two builds; at the end
/// everything acknowledged ran exactly once, timers and workflows started under the old build finish
/// under the new one.
/// </summary>
public sealed class RollingUpgradeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private KeelCluster _cluster = null!;
    private ClusterWorkload _workload = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        var previous = await PreviousRelease.ServerDllAsync();
        output.WriteLine($"previous release ({PreviousRelease.Commit[..12]}) ready after {clock.Elapsed.TotalSeconds:F0} s");
        _cluster = await KeelCluster.StartAsync(3, previous);
        _workload = new ClusterWorkload(_cluster);
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
    public async Task Nodes_upgraded_one_at_a_time_under_load_lose_nothing_and_double_nothing()
    {
        await _workload.StartDelayedSendsAndWorkflowsAsync();
        var acknowledged = 0;
        var load = _workload.RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = _workload.RunOrderedAppendsAsync();

        // Steady traffic across the whole upgrade, not only the fixed load above.
        using var upgraded = new CancellationTokenSource();
        var steady = RunSteadyAddsAsync(upgraded.Token);

        for (var i = 0; i < _cluster.Nodes.Count; i++)
        {
            var clock = Stopwatch.StartNew();
            _workload.MarkDown(i);
            await _cluster.Nodes[i].UpgradeAsync();
            _workload.MarkUp(i);
            await _cluster.WaitUntilSpreadAsync(["node-1", "node-2", "node-3"], askAt: _cluster.Nodes[i]);
            output.WriteLine($"node-{i + 1} runs this build after {clock.Elapsed.TotalSeconds:F1} s; {Volatile.Read(ref acknowledged)} calls acknowledged so far");
        }

        await upgraded.CancelAsync();
        var steadyAdds = await steady;
        await load;
        await appends;

        Assert.All(_cluster.Nodes, node => Assert.Null(node.Build));
        await _workload.AssertEverythingRanExactlyOnceAsync();
        var counted = (await _workload.CallUntilDoneAsync($"/Counter/{_workload.Run}-steady/get", null, null, first: 0)).Json.GetInt32();
        Assert.Equal(steadyAdds, counted);
        Assert.True(steadyAdds > 0, "the steady load ran during the upgrade");
    }

    /// <summary>Adds one at a time (each with its own idempotency key) until cancelled; returns how many were acknowledged.</summary>
    private async Task<int> RunSteadyAddsAsync(CancellationToken stop)
    {
        var acknowledged = 0;
        while (!stop.IsCancellationRequested)
        {
            await _workload.CallUntilDoneAsync($"/Counter/{_workload.Run}-steady/add", 1, $"{_workload.Run}-steady-{acknowledged}", first: acknowledged);
            acknowledged++;
        }

        return acknowledged;
    }
}
