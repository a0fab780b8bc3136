using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A node of three dies (kill -9) or freezes (SIGSTOP past its lease) under a mixed load entering at
/// every node: every acknowledged invocation completes exactly once, per-key order holds, delayed
/// sends fire once, workflows finish, and the lost node's partitions are served again elsewhere.
/// </summary>
public sealed class ClusterFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Calls = ClusterWorkload.Calls;
    private KeelCluster _cluster = null!;
    private ClusterWorkload _workload = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KeelCluster.StartAsync(3);
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
    public async Task Kill_9_of_one_node_under_load_loses_nothing_doubles_nothing_and_its_partitions_move()
    {
        var before = KeelCluster.Owners(await KeelCluster.StatusAsync(_cluster.Nodes[0]));
        var epochsBefore = Epochs(await KeelCluster.StatusAsync(_cluster.Nodes[0]));

        // Each node's /health says which partitions it serves: together, all of them, each once.
        await Eventually.UntilAsync(async () =>
        {
            var served = new List<int>();
            foreach (var node in _cluster.Nodes)
            {
                using var admin = new AdminClient(node.AdminUrl);
                var (status, health) = await admin.GetJsonAsync("/health");
                Assert.Equal(HttpStatusCode.OK, status);
                if (!health!.Value.GetProperty("serving").GetBoolean())
                {
                    return false;
                }

                served.AddRange(health.Value.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
            }

            return served.Order().SequenceEqual(Enumerable.Range(0, KeelCluster.PartitionCount));
        }, TimeSpan.FromSeconds(30), "every partition to be served by exactly one node, as each node's /health says");
        await _workload.StartDelayedSendsAndWorkflowsAsync();

        var acknowledged = 0;
        var load = _workload.RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = _workload.RunOrderedAppendsAsync();
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= Calls / 3), TimeSpan.FromSeconds(60), "a third of the calls to be acknowledged");

        var clock = Stopwatch.StartNew();
        await _cluster.Nodes[1].KillAsync();
        _workload.MarkDown(1);

        await _cluster.WaitUntilSpreadAsync(["node-1", "node-3"]);
        output.WriteLine($"node-2's partitions served again {clock.Elapsed.TotalSeconds:F1} s after kill -9 (lease time {KeelCluster.LeaseTime.TotalSeconds} s)");

        await load;
        await appends;
        await _workload.AssertEverythingRanExactlyOnceAsync();

        var epochsAfter = Epochs(await KeelCluster.StatusAsync(_cluster.Nodes[0]));
        foreach (var partition in before.Where(p => p.Value == "node-2").Select(p => p.Key))
        {
            Assert.True(epochsAfter[partition] > epochsBefore[partition], $"partition {partition} was taken over with a new epoch");
        }
    }

    [Fact]
    public async Task A_node_frozen_past_its_lease_commits_nothing_for_the_partitions_it_lost()
    {
        var status = await KeelCluster.StatusAsync(_cluster.Nodes[0]);
        var frozenOwned = KeelCluster.Owners(status).Where(p => p.Value == "node-2").Select(p => p.Key).ToList();
        var epochsBefore = Epochs(status);
        await _workload.StartDelayedSendsAndWorkflowsAsync();

        var acknowledged = 0;
        var load = _workload.RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = _workload.RunOrderedAppendsAsync();
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= Calls / 3), TimeSpan.FromSeconds(60), "a third of the calls to be acknowledged");

        await _cluster.Nodes[1].PauseAsync();
        await Eventually.UntilAsync(async () =>
        {
            var epochs = Epochs(await KeelCluster.StatusAsync(_cluster.Nodes[0]));
            return frozenOwned.All(p => epochs[p] > epochsBefore[p]);
        }, TimeSpan.FromSeconds(60), "the frozen node's partitions to be taken over");

        // Requests reach the frozen node meanwhile (they wait in its socket backlog) and run once it thaws.
        var late = Enumerable.Range(0, 6).Select(i => _workload.CallUntilDoneAsync($"/Counter/{_workload.Run}-late-{i}/add", 1, $"{_workload.Run}-late-{i}", first: 1)).ToList();
        await _cluster.Nodes[1].ResumeAsync();

        await Task.WhenAll(late);
        await load;
        await appends;
        await _workload.AssertEverythingRanExactlyOnceAsync();
        using var ingress = new IngressClient(_cluster.Nodes[0].IngressUrl);
        for (var i = 0; i < late.Count; i++)
        {
            Assert.Equal(1, (await ingress.CallAsync($"/Counter/{_workload.Run}-late-{i}/get")).Json.GetInt32());
        }

        // The thawed node either had a batch refused by the fence or noticed the lost leases first; both end up in its
        // log. Its console logger writes from a queue of its own, and a loaded machine can hold that queue back for a
        // while after the node has acted, so the log is read until the lines are there rather than once.
        await Eventually.UntilAsync(() =>
        {
            var log = ProcessLogs.Tail(_cluster.Nodes[1].LogFile, int.MaxValue);
            return Task.FromResult(frozenOwned.All(p => log.Contains($"stopped serving partition {p}", StringComparison.Ordinal) || log.Contains($"Partition {p} stopped here", StringComparison.Ordinal)));
        }, TimeSpan.FromSeconds(30), "the thawed node to log that it stopped serving every partition it lost");
    }

    [Fact]
    public async Task PostgreSQL_killed_and_started_again_twice_under_load_costs_no_node_and_loses_nothing()
    {
        await _workload.StartDelayedSendsAndWorkflowsAsync();
        var acknowledged = 0;
        var load = _workload.RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = _workload.RunOrderedAppendsAsync();
        for (var round = 1; round <= 2; round++)
        {
            var reached = round * Calls / 3;
            try
            {
                await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= reached), TimeSpan.FromSeconds(90), $"{reached} calls to be acknowledged");
            }
            catch (TimeoutException)
            {
                output.WriteLine($"load: {load.Status} {load.Exception?.InnerException?.Message}; appends: {appends.Status} {appends.Exception?.InnerException?.Message}");
                foreach (var node in _cluster.Nodes)
                {
                    output.WriteLine($"--- {node.LogFile}\n{ProcessLogs.Tail(node.LogFile, 60)}");
                }

                throw;
            }
            await _cluster.Postgres.KillAsync();
            await _cluster.Postgres.RestartAsync();
            output.WriteLine($"PostgreSQL killed and started again ({round}) after {Volatile.Read(ref acknowledged)} acknowledged calls");
        }

        await load;
        await appends;

        // Every node rode it out: a storage failure cost partitions, never the process.
        Assert.All(_cluster.Nodes, node => Assert.False(node.HasExited, $"a node exited:\n{ProcessLogs.Tail(node.LogFile, 40)}"));
        await _cluster.WaitUntilSpreadAsync(["node-1", "node-2", "node-3"]);
        await _workload.AssertEverythingRanExactlyOnceAsync();
    }

    private static Dictionary<int, long> Epochs(System.Text.Json.JsonElement status) =>
        status.GetProperty("partitions").EnumerateArray().ToDictionary(p => p.GetProperty("partition").GetInt32(), p => p.GetProperty("epoch").GetInt64());
}
