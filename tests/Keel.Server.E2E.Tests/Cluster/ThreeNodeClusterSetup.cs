namespace Keel.Server.E2E.Tests;

/// <summary>
/// The TypeScript services on a three-node cluster: registered through node 3's admin API, called
/// through node 2's ingress, so most requests are forwarded and most calls cross nodes.
/// </summary>
public sealed class ThreeNodeClusterSetup : KeelServerWithTsServices
{
    private KeelCluster? _cluster;

    public override bool RequestResponse => false;

    private KeelCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    protected override async Task<KeelServerProcess> StartServerAsync()
    {
        _cluster = await KeelCluster.StartAsync(3);
        return _cluster.Nodes[0];
    }

    protected override Uri IngressUrl => Cluster.Nodes[1].IngressUrl;

    protected override Uri AdminUrl => Cluster.Nodes[2].AdminUrl;

    public override string ServerLogs() => Cluster.Logs();

    protected override async Task DisposeStorageAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
