using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Keel.Server.E2E.Tests.Cluster;

/// <summary>
/// Node-to-node traffic on three nodes, probed from outside: the hand-over endpoint answers only on
/// the internal port and only to requests signed with the cluster's secret; the admin and ingress APIs
/// are not on that port. Hand-overs between the nodes themselves keep working.
/// </summary>
public sealed class ClusterInternalTrafficTests : IAsyncLifetime
{
    private KeelCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await KeelCluster.StartAsync(3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Forged_hand_overs_are_refused_and_the_routes_stay_on_their_listeners()
    {
        var node = _cluster.Nodes[1];
        using var http = new HttpClient();
        var internalUrl = new Uri($"http://127.0.0.1:{node.InternalPort}/");

        // Unsigned, as any process on the cluster network could send it.
        using var unsigned = await PostHandOverAsync(http, internalUrl, headers: []);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        // Signed with a key that is not the cluster's (well-formed, fresh, wrong).
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var forged = Convert.ToBase64String(HMACSHA256.HashData(RandomNumberGenerator.GetBytes(32), Encoding.UTF8.GetBytes("anything")));
        using var wrongKey = await PostHandOverAsync(http, internalUrl,
            [("x-keel-node", "node-1"), ("x-keel-timestamp", now), ("x-keel-nonce", nonce), ("x-keel-signature", forged)]);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);

        // The hand-over route is not on the admin or ingress ports, and the admin API is not on the internal one.
        using var onAdmin = await PostHandOverAsync(http, node.AdminUrl, headers: [], json: true);
        Assert.Equal(HttpStatusCode.NotFound, onAdmin.StatusCode);
        using var onIngress = await PostHandOverAsync(http, node.IngressUrl, headers: []);
        Assert.Equal(HttpStatusCode.NotFound, onIngress.StatusCode);
        using var adminOnInternal = await http.GetAsync(new Uri(internalUrl, "deployments"));
        Assert.Equal(HttpStatusCode.Unauthorized, adminOnInternal.StatusCode);

        // The deadlock routes that change state (a cycle told, a queued call failed) refuse what a web page or any
        // other process could send: unsigned plain text on the internal port, and nothing at all on the others.
        foreach (var path in new[] { "internal/v1/deadlocks", "internal/v1/deadlocks/fail" })
        {
            using var plain = new StringContent("""{"id":"inv_1","message":"deadlock: forged"}""", Encoding.UTF8, "text/plain");
            using var unsignedDeadlock = await http.PostAsync(new Uri(internalUrl, path), plain);
            Assert.Equal(HttpStatusCode.Unauthorized, unsignedDeadlock.StatusCode);
            using var onIngressDeadlock = await http.PostAsync(new Uri(node.IngressUrl, path), new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NotFound, onIngressDeadlock.StatusCode);
            using var onAdminDeadlock = await http.PostAsync(new Uri(node.AdminUrl, path), new StringContent("{}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.NotFound, onAdminDeadlock.StatusCode);
        }

        // Every node still sees every partition served and answers.
        await _cluster.WaitUntilSpreadAsync(["node-1", "node-2", "node-3"]);
        var status = await KeelCluster.StatusAsync(node);
        Assert.All(status.GetProperty("nodes").EnumerateArray(), n => Assert.StartsWith("http://127.0.0.1:", n.GetProperty("internal_url").GetString(), StringComparison.Ordinal));
    }

    /// <param name="json">Labelled as JSON: the admin listener refuses any other POST before routing (415), which would hide whether the route exists.</param>
    private static async Task<HttpResponseMessage> PostHandOverAsync(HttpClient http, Uri baseUrl, (string Name, string Value)[] headers, bool json = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseUrl, "internal/v1/partitions/0/handovers"))
        {
            Content = new ByteArrayContent([1, 2, 3, 4]),
        };
        if (json)
        {
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await http.SendAsync(request);
    }
}
