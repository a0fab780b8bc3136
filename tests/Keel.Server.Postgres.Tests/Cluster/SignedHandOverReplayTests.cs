using System.Net;
using Keel.TestSupport;

namespace Keel.Server.Postgres.Tests.Cluster;

/// <summary>
/// On a running cluster, a hand-over request signed with the cluster's real secret (as a node sends
/// it) gets past the signature check once; the same request played again is refused as a replay.
/// </summary>
public sealed class SignedHandOverReplayTests : IAsyncLifetime
{
    private KeelCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await KeelCluster.StartAsync(2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_captured_signed_hand_over_played_again_is_refused()
    {
        var secret = await SignedInternalRequests.ReadSecretAsync(_cluster);
        var url = SignedInternalRequests.Internal(_cluster.Nodes[1], "internal/v1/partitions/0/handovers");
        byte[] body = [0xFF, 0x00, 0x01];
        using var captured = SignedInternalRequests.Post(url, secret, body);
        var headers = captured.Headers.Select(h => (h.Key, h.Value.Single())).ToList();

        using var http = new HttpClient();
        using var first = await http.SendAsync(Copy(url, headers, body));
        using var replay = await http.SendAsync(Copy(url, headers, body));

        // The first one passed the signature (its made-up body is then refused as malformed, or the
        // partition is served elsewhere); the copy is refused before its body is looked at.
        Assert.NotEqual(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Contains("replay", await replay.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Copy(Uri url, List<(string Name, string Value)> headers, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }
}
