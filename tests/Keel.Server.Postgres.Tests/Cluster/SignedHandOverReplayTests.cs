using System.Net;
using Keel.Server.Cluster.Security;
using Keel.TestSupport;
using Npgsql;

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
        byte[] secret;
        await using (var connection = new NpgsqlConnection(_cluster.Postgres.ConnectionString()))
        {
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT secret FROM keel_cluster_secret WHERE id = 1", connection);
            secret = (byte[])(await read.ExecuteScalarAsync())!;
        }

        var node = _cluster.Nodes[1];
        var url = new Uri($"http://127.0.0.1:{node.InternalPort}/internal/v1/partitions/0/handovers");
        byte[] body = [0xFF, 0x00, 0x01];
        using var captured = new HttpRequestMessage(HttpMethod.Post, url);
        InternalRequestSignature.Sign(captured, secret, "node-1", DateTimeOffset.UtcNow, body);
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
