namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// A node (re)started while its PostgreSQL is down waits for the database instead of exiting: the fault campaign
/// found a node restarted during a database restart exit with "cannot open the schema registry", and stay down.
/// </summary>
public sealed class NodeStartWaitsForDatabaseTests : IAsyncLifetime
{
    private KeelCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await KeelCluster.StartAsync(1);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_started_while_postgres_is_down_waits_for_it_then_serves_every_partition()
    {
        var node = _cluster.Nodes[0];
        await node.KillAsync();
        await _cluster.Postgres.KillAsync();

        // The restart waits until the node is healthy (and fails if the process exits): it may only finish once the
        // database is back.
        var restart = node.RestartAsync();
        await Eventually.UntilAsync(
            () => Task.FromResult(ProcessLogs.Tail(node.LogFile, int.MaxValue).Contains("Cannot reach the PostgreSQL database", StringComparison.Ordinal) || restart.IsCompleted),
            TimeSpan.FromSeconds(30), "the node to say it waits for the database");
        Assert.False(restart.IsCompleted, $"the restart ended before the database was back: {restart.Exception?.GetBaseException().Message}");

        await _cluster.Postgres.RestartAsync();
        await restart;

        await Eventually.UntilAsync(async () =>
        {
            var owners = KeelCluster.Owners(await KeelCluster.StatusAsync(node));
            return owners.Count > 0 && owners.Values.All(owner => owner == "node-1");
        }, TimeSpan.FromSeconds(30), "node-1 to serve every partition again");
    }
}
