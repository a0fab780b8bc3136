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
    private const int Counters = 12;
    private const int Calls = 240;
    private const int DelayedSends = 8;
    private const int Appends = 30;
    private const int Workflows = 4;
    private KeelCluster _cluster = null!;
    private NodeServicesProcess _services = null!;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private readonly HashSet<int> _down = [];

    public async Task InitializeAsync()
    {
        _cluster = await KeelCluster.StartAsync(3);
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
        await StartDelayedSendsAndWorkflowsAsync();

        var acknowledged = 0;
        var load = RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = RunOrderedAppendsAsync();
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= Calls / 3), TimeSpan.FromSeconds(60), "a third of the calls to be acknowledged");

        var clock = Stopwatch.StartNew();
        await _cluster.Nodes[1].KillAsync();
        lock (_down)
        {
            _down.Add(1);
        }

        await _cluster.WaitUntilSpreadAsync(["node-1", "node-3"]);
        output.WriteLine($"node-2's partitions served again {clock.Elapsed.TotalSeconds:F1} s after kill -9 (lease time {KeelCluster.LeaseTime.TotalSeconds} s)");

        await load;
        await appends;
        await AssertEverythingRanExactlyOnceAsync();

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
        await StartDelayedSendsAndWorkflowsAsync();

        var acknowledged = 0;
        var load = RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = RunOrderedAppendsAsync();
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref acknowledged) >= Calls / 3), TimeSpan.FromSeconds(60), "a third of the calls to be acknowledged");

        await _cluster.Nodes[1].PauseAsync();
        await Eventually.UntilAsync(async () =>
        {
            var epochs = Epochs(await KeelCluster.StatusAsync(_cluster.Nodes[0]));
            return frozenOwned.All(p => epochs[p] > epochsBefore[p]);
        }, TimeSpan.FromSeconds(60), "the frozen node's partitions to be taken over");

        // Requests reach the frozen node meanwhile (they wait in its socket backlog) and run once it thaws.
        var late = Enumerable.Range(0, 6).Select(i => CallUntilDoneAsync($"/Counter/{_run}-late-{i}/add", 1, $"{_run}-late-{i}", first: 1)).ToList();
        await _cluster.Nodes[1].ResumeAsync();

        await Task.WhenAll(late);
        await load;
        await appends;
        await AssertEverythingRanExactlyOnceAsync();
        using var ingress = new IngressClient(_cluster.Nodes[0].IngressUrl);
        for (var i = 0; i < late.Count; i++)
        {
            Assert.Equal(1, (await ingress.CallAsync($"/Counter/{_run}-late-{i}/get")).Json.GetInt32());
        }

        // The thawed node either had a batch refused by the fence or noticed the lost leases first; both are in its log.
        var log = ProcessLogs.Tail(_cluster.Nodes[1].LogFile, int.MaxValue);
        Assert.True(frozenOwned.All(p => log.Contains($"stopped serving partition {p}", StringComparison.Ordinal) || log.Contains($"Partition {p} stopped here", StringComparison.Ordinal)),
            "the thawed node stopped serving every partition it lost");
    }

    [Fact]
    public async Task PostgreSQL_killed_and_started_again_twice_under_load_costs_no_node_and_loses_nothing()
    {
        await StartDelayedSendsAndWorkflowsAsync();
        var acknowledged = 0;
        var load = RunCallsAsync(() => Interlocked.Increment(ref acknowledged));
        var appends = RunOrderedAppendsAsync();
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
        await AssertEverythingRanExactlyOnceAsync();
    }

    private static Dictionary<int, long> Epochs(System.Text.Json.JsonElement status) =>
        status.GetProperty("partitions").EnumerateArray().ToDictionary(p => p.GetProperty("partition").GetInt32(), p => p.GetProperty("epoch").GetInt64());

    private async Task StartDelayedSendsAndWorkflowsAsync()
    {
        for (var i = 0; i < DelayedSends; i++)
        {
            await SendUntilDoneAsync($"/Counter/{_run}-delayed/add/send?delay=4s", 1, $"{_run}-delayed-{i}", first: i);
        }

        for (var i = 0; i < Workflows; i++)
        {
            await SendUntilDoneAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/run/send", $"input-{i}", null, first: i);
        }
    }

    private Task RunCallsAsync(Action onAcknowledged) =>
        Parallel.ForEachAsync(Enumerable.Range(0, Calls), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
        {
            await CallUntilDoneAsync($"/Counter/{_run}-c{i % Counters}/add", 1, $"{_run}-call-{i}", first: i);
            onAcknowledged();
        });

    /// <summary>One send after the other to one list: the list must come out in send order.</summary>
    private async Task RunOrderedAppendsAsync()
    {
        for (var i = 0; i < Appends; i++)
        {
            await SendUntilDoneAsync($"/ListObject/{_run}-list/append/send", i, $"{_run}-append-{i}", first: i);
        }
    }

    private async Task AssertEverythingRanExactlyOnceAsync()
    {
        using var ingress = new IngressClient(_cluster.Nodes[0].IngressUrl);
        var total = 0;
        for (var k = 0; k < Counters; k++)
        {
            total += (await CallUntilDoneAsync($"/Counter/{_run}-c{k}/get", null, null, first: k)).Json.GetInt32();
        }

        Assert.Equal(Calls, total);
        for (var k = 0; k < Counters; k++)
        {
            Assert.Equal(Calls / Counters, (await CallUntilDoneAsync($"/Counter/{_run}-c{k}/get", null, null, first: k)).Json.GetInt32());
        }

        await Eventually.UntilAsync(async () => (await CallUntilDoneAsync($"/Counter/{_run}-delayed/get", null, null, first: 0)).Json.GetInt32() >= DelayedSends,
            TimeSpan.FromSeconds(60), "every delayed send to fire");
        Assert.Equal(DelayedSends, (await CallUntilDoneAsync($"/Counter/{_run}-delayed/get", null, null, first: 0)).Json.GetInt32());

        for (var i = 0; i < Workflows; i++)
        {
            await CallUntilDoneAsync($"/BlockAndWaitWorkflow/{_run}-wf-{i}/unblock", $"output-{i}", null, first: i);
            var output = await CallUntilDoneAsync($"/restate/workflow/BlockAndWaitWorkflow/{_run}-wf-{i}/attach", null, null, first: i, get: true);
            Assert.Equal($"output-{i}", output.Json.GetString());
        }

        await Eventually.UntilAsync(async () => (await CallUntilDoneAsync($"/ListObject/{_run}-list/get", null, null, first: 0)).Json.GetArrayLength() == Appends,
            TimeSpan.FromSeconds(60), "every append to run");
        Assert.Equal(Enumerable.Range(0, Appends), (await CallUntilDoneAsync($"/ListObject/{_run}-list/get", null, null, first: 0)).Json.EnumerateArray().Select(e => e.GetInt32()));
    }

    private Task SendUntilDoneAsync(string path, object body, string? idempotencyKey, int first) =>
        CallUntilDoneAsync(path, body, idempotencyKey, first);

    /// <summary>
    /// Enters at node <paramref name="first"/> mod 3 and, when a node is down or answers "try again"
    /// (429/503, connection refused, cut off), tries the next one with the same idempotency key — what a
    /// client does when the outcome is unknown.
    /// </summary>
    private async Task<IngressResponse> CallUntilDoneAsync(string path, object? body, string? idempotencyKey, int first, bool get = false)
    {
        var deadline = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var node = (first + attempt) % _cluster.Nodes.Count;
            bool down;
            lock (_down)
            {
                down = _down.Contains(node);
            }

            if (!down)
            {
                using var ingress = new IngressClient(_cluster.Nodes[node].IngressUrl);
                try
                {
                    var answer = get ? await ingress.GetAsync(path) : await ingress.CallAsync(path, body, idempotencyKey);
                    if (answer.IsSuccess)
                    {
                        return answer;
                    }

                    if (answer.Status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway))
                    {
                        throw new InvalidOperationException($"{path} answered {(int)answer.Status}: {answer.Body}");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Outcome unknown: the same idempotency key on the next node.
                }
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException($"{path} did not succeed within 120 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
