namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// Services registered on node 1 and used at once through node 2, before node 2 has read the schema again: node 2
/// reads its schema from the database only when a lookup misses (its periodic read is slowed to an hour by a
/// testing seam, so the race is not left to timing). A call that node 1 hands over to node 2, and a call made at
/// node 2's ingress, are served, not answered "no such handler" nor dropped.
/// </summary>
public sealed class FreshRegistrationTests : IAsyncLifetime
{
    private KeelCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await KeelCluster.StartAsync(2, nodeEnvironment: n => n == 2
        ? new Dictionary<string, string> { ["KEEL_TEST_SCHEMA_POLL_INTERVAL"] = "1h" }
        : new Dictionary<string, string>());

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_service_registered_on_one_node_is_served_at_once_through_the_other()
    {
        var (node1, node2) = (_cluster.Nodes[0], _cluster.Nodes[1]);

        // A/k calls B/k, for a key whose A/k is served by node 1 and B/k by node 2: the call arrives at node 1 (no
        // forward to node 2 first, which would make node 2 look the service up) and node 1 hands A's call to B over.
        var owners = KeelCluster.Owners(await KeelCluster.StatusAsync(node1));
        var key = Enumerable.Range(0, 1000).Select(i => $"fresh-{i}")
            .First(k => owners[PartitionOf("A", k)] == "node-1" && owners[PartitionOf("B", k)] == "node-2");
        await using (var hoppers = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>()))
        {
            await RegisterAsync(node1, hoppers.Url);
            using var ingress = new IngressClient(node1.IngressUrl);
            var hop = await ingress.CallAsync($"/A/{key}/hop", new[] { "B" });
            Assert.True(hop.IsSuccess, $"A/{key} calling B/{key}: {(int)hop.Status} {hop.Body}\n{_cluster.Logs()}");
            Assert.Equal("""["A","B"]""", hop.Body);
        }

        // Another deployment, called at node 2's own ingress right after node 1 registered it.
        await using var removable = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string> { ["SERVICES"] = "removable" });
        await RegisterAsync(node1, removable.Url);

        using var atNode2 = new IngressClient(node2.IngressUrl);
        var hello = await atNode2.CallAsync("/Removable/hello");
        Assert.True(hello.IsSuccess, $"Removable/hello at node 2: {(int)hello.Status} {hello.Body}\n{_cluster.Logs()}");
        Assert.Equal("\"hello\"", hello.Body);
    }

    /// <summary>
    /// The partition of an object's key, as the server maps it: the first 8 bytes (big-endian) of SHA-256 over
    /// "service\0key", scaled onto <see cref="KeelCluster.PartitionCount"/> contiguous ranges.
    /// </summary>
    private static int PartitionOf(string service, string key)
    {
        var hash = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(service + "\0" + key)));
        return (int)(((UInt128)hash * KeelCluster.PartitionCount) >> 64);
    }

    private static async Task RegisterAsync(KeelServerProcess node, Uri deployment)
    {
        using var admin = new AdminClient(node.AdminUrl);
        using var registered = await admin.RegisterDeploymentAsync(deployment, useHttp11: true);
    }
}
