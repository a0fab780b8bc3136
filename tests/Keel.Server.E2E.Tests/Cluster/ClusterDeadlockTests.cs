using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.Server.E2E.Tests.Deadlocks;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A deadlock across two cluster nodes (PostgreSQL, one process each), with the official TS SDK's services of
/// cli.mjs: A/k calls B/k, whose call to A/k queues behind the first A/k, where A/k's partition is served by one
/// node and B/k's by the other. Neither node sees the whole cycle; their detectors merge their waits. Both nodes
/// list it on <c>GET /deadlocks</c>, it is counted once, it goes once cancelled, and the <c>fail</c> policy breaks
/// such a cycle at once.
/// </summary>
public sealed class ClusterDeadlockTests : IAsyncLifetime
{
    private KeelCluster _cluster = null!;
    private NodeServicesProcess _services = null!;

    public async Task InitializeAsync()
    {
        _cluster = await KeelCluster.StartAsync(2);
        _services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
        using var admin = new AdminClient(_cluster.Nodes[0].AdminUrl);
        using var registered = await admin.RegisterDeploymentAsync(_services.Url, useHttp11: true);

        // The registration is made on node 1; node 2 reads the schema again from the database a moment later. A call
        // handed to node 2 before then would find no service B, and no cycle would form.
        await Eventually.UntilAsync(async () => (await Both(async n =>
        {
            using var nodeAdmin = new AdminClient(n.AdminUrl);
            var (status, _) = await nodeAdmin.GetJsonAsync("/services/B");
            return status == HttpStatusCode.OK;
        })).All(known => known), TimeSpan.FromSeconds(30), "both nodes to know the registered services");
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task A_cycle_over_two_nodes_is_listed_on_both_counted_and_gone_once_cancelled_and_fail_breaks_one()
    {
        var (node1, node2) = (_cluster.Nodes[0], _cluster.Nodes[1]);
        using var ingress = new IngressClient(node1.IngressUrl);
        var owners = KeelCluster.Owners(await KeelCluster.StatusAsync(node1));

        // Keys until one puts A/k and B/k on different nodes (half of them do); the others' cycles are on one node.
        string? key = null;
        List<(string Id, string Target, string WaitsOn)>? cycle = null;
        for (var i = 0; i < 20 && key is null; i++)
        {
            var candidate = $"x{i}-{Guid.NewGuid():N}";
            var sent = await ingress.SendAsync($"/A/{candidate}/hop", new[] { "B", "A" });
            Assert.True(sent.IsSuccess, sent.Body);
            var found = await CycleOnAnyNodeAsync(sent.InvocationId!);
            var nodes = await OwnersOfAsync(node1, owners, found.Select(m => m.Id));
            if (nodes.Distinct().Count() == 2)
            {
                (key, cycle) = (candidate, found);
                break;
            }

            using var admin = new AdminClient(node1.AdminUrl);
            Assert.InRange((int)await admin.PatchInvocationAsync(sent.InvocationId!, "cancel"), 200, 299);
            await Eventually.UntilAsync(async () => (await Both(DeadlockRestartScenarios.DeadlocksAsync)).All(c => c.Count == 0), TimeSpan.FromSeconds(30), "a one-node cycle to go");
        }

        Assert.NotNull(key);
        Assert.Equal(3, cycle!.Count);

        // Both nodes list the same cycle (the one that found it, and the other, told).
        await Eventually.UntilAsync(async () => (await Both(DeadlockRestartScenarios.DeadlocksAsync)).All(c => c.Count == 1 && c[0].Order().SequenceEqual(cycle.Order())),
            TimeSpan.FromSeconds(10), "the cycle across nodes on both nodes' GET /deadlocks");
        Assert.True(await CountedAsync() >= 1, "keel_deadlocks_detected_total counts it on the node that found it");

        var root = cycle.Single(m => m.Target == $"A/{key}/hop" && m.WaitsOn == "call").Id;
        using (var admin = new AdminClient(node2.AdminUrl))
        {
            Assert.InRange((int)await admin.PatchInvocationAsync(root, "cancel"), 200, 299);
        }

        await Eventually.UntilAsync(async () => (await Both(DeadlockRestartScenarios.DeadlocksAsync)).All(c => c.Count == 0), TimeSpan.FromSeconds(30), "the broken cycle to leave both nodes' lists");

        // The fail policy on B (seen by both nodes first): the same key's cycle is broken as it forms, and the
        // ingress caller hears of it.
        using (var http = new HttpClient { BaseAddress = node1.AdminUrl })
        using (var patched = await http.PatchAsync("/services/B", JsonContent.Create(new { deadlock = "fail" })))
        {
            Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());
        }

        await Eventually.UntilAsync(async () => (await Both(async n =>
        {
            using var admin = new AdminClient(n.AdminUrl);
            return (await admin.GetJsonAsync("/services/B")).Body?.GetProperty("deadlock").GetString();
        })).All(p => p == "fail"), TimeSpan.FromSeconds(30), "both nodes to see B's fail policy");

        var failed = await ingress.CallAsync($"/A/{key}/hop", new[] { "B", "A" });
        Assert.False(failed.IsSuccess, failed.Body);
        Assert.StartsWith("deadlock: ", failed.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("\"A pong\"", (await ingress.CallAsync($"/A/{key}/ping")).Body);
    }

    /// <summary>The cycle <paramref name="root"/> is on, as soon as either node lists it.</summary>
    private async Task<List<(string Id, string Target, string WaitsOn)>> CycleOnAnyNodeAsync(string root)
    {
        List<(string, string, string)>? found = null;
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                found = (await Both(DeadlockRestartScenarios.DeadlocksAsync)).SelectMany(c => c).FirstOrDefault(c => c.Any(m => m.Id == root));
                return found is not null;
            }, TimeSpan.FromSeconds(30), $"a cycle through {root} on either node");
        }
        catch (TimeoutException e)
        {
            // The nodes' logs say which waits each detector saw; they are gone once the cluster is disposed.
            throw new TimeoutException($"{e.Message}\n{_cluster.Logs()}", e);
        }

        return found!;
    }

    /// <summary>The node serving each invocation: its partition key (sys_journal), its partition (contiguous ranges of the 64-bit key space), the lease's owner.</summary>
    private static async Task<List<string>> OwnersOfAsync(KeelServerProcess node, Dictionary<int, string> owners, IEnumerable<string> ids)
    {
        using var admin = new AdminClient(node.AdminUrl);
        var rows = await admin.QueryAsync($"SELECT DISTINCT id, partition_key FROM sys_journal WHERE id IN ({string.Join(", ", ids.Select(i => $"'{i}'"))})");
        return [.. rows.Select(r => owners[(int)(((UInt128)ulong.Parse(r.GetProperty("partition_key").ToString(), CultureInfo.InvariantCulture) * KeelCluster.PartitionCount) >> 64)])];
    }

    private async Task<long> CountedAsync()
    {
        var total = 0L;
        foreach (var node in _cluster.Nodes)
        {
            using var http = new HttpClient { BaseAddress = node.AdminUrl };
            var metrics = await http.GetStringAsync("/metrics");
            total += metrics.Split('\n').Where(l => l.StartsWith("keel_deadlocks_detected_total", StringComparison.Ordinal))
                .Sum(l => (long)double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }

        return total;
    }

    private async Task<List<T>> Both<T>(Func<KeelServerProcess, Task<T>> read) =>
        [await read(_cluster.Nodes[0]), await read(_cluster.Nodes[1])];
}
