using System.Globalization;
using System.Net;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Network;
using Keel.TestSupport;

namespace Keel.Chaos.Campaign;

/// <summary>
/// The network of a cluster campaign, through <see cref="TcpProxy"/>s a nemesis can hurt: each node reaches
/// PostgreSQL through a proxy of its own (its <c>--postgres</c> names the proxy's port), and the other nodes reach
/// node N at 127.0.0.(N+1) — its advertised host — where proxies forward its internal, ingress and admin ports to
/// the node on 127.0.0.1 (clients still use 127.0.0.1 directly). The internal port is chosen here so that its proxy
/// is up before the node starts (hand-overs need it from the first lease on); the ingress and admin proxies follow
/// once the node runs and its ports are known.
/// </summary>
public sealed class ClusterLinks : IAsyncDisposable
{
    private readonly List<TcpProxy> _toPostgres = [];
    private readonly Dictionary<int, List<TcpProxy>> _toNode = [];

    /// <summary>For <see cref="KeelCluster.StartAsync"/>: the flags that route node N's links through proxies.</summary>
    public IReadOnlyList<string> NodeArguments(PostgresServer postgres, int node)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var database = TcpProxy.ToLoopback(postgres.Port);
        _toPostgres.Add(database);
        var host = AdvertisedHost(node);
        var internalPort = FreePort.Next();
        _toNode[node] = [TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, internalPort), new IPEndPoint(host, internalPort))];
        return ["--postgres", postgres.ConnectionString(port: database.Port), "--advertised-host", host.ToString(), "--internal-port", internalPort.ToString(CultureInfo.InvariantCulture)];
    }

    /// <summary>Once the cluster runs: the proxies of the nodes' ingress and admin ports on their advertised hosts.</summary>
    public void ForwardIngressAndAdmin(KeelCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        for (var node = 1; node <= cluster.Nodes.Count; node++)
        {
            var process = cluster.Nodes[node - 1];
            foreach (var port in new[] { process.IngressPort, process.AdminPort })
            {
                _toNode[node].Add(TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(AdvertisedHost(node), port)));
            }
        }
    }

    /// <summary>One nemesis per link: node N → PostgreSQL, and the other nodes → node N.</summary>
    public IEnumerable<INemesis> Nemeses() =>
        _toPostgres.Select((proxy, i) => (INemesis)new NetworkNemesis($"node-{i + 1}→postgres", proxy))
            .Concat(_toNode.Select(pair => new NetworkNemesis($"nodes→node-{pair.Key}", [.. pair.Value])));

    private static IPAddress AdvertisedHost(int node) => IPAddress.Parse($"127.0.0.{node + 1}");

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _toPostgres.Concat(_toNode.Values.SelectMany(p => p)))
        {
            await proxy.DisposeAsync();
        }
    }
}
