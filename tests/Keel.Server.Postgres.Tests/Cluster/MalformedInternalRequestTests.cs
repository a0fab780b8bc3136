using System.Net;
using System.Text;
using System.Text.Json;
using Keel.Server.Cluster;
using Keel.Server.Partitions;
using Keel.TestSupport;

namespace Keel.Server.Postgres.Tests.Cluster;

/// <summary>
/// The internal routes as an attacker holding the cluster's secret (or a node with a bug) would hit them:
/// signed, so past the signature check, but with bodies no node sends. Each is answered 400 with a JSON
/// message saying what is wrong — never a 500 — and the node goes on serving its partitions.
/// </summary>
public sealed class MalformedInternalRequestTests : IAsyncLifetime
{
    private static readonly (string Path, string Body)[] MalformedJson =
    [
        // The deadlock policy's failure of a queued call: {"id": "inv_…", "message": "…"}.
        ("internal/v1/deadlocks/fail", ""),
        ("internal/v1/deadlocks/fail", "{\"id\":"),
        ("internal/v1/deadlocks/fail", "[1, 2]"),
        ("internal/v1/deadlocks/fail", "\"text\""),
        ("internal/v1/deadlocks/fail", "{\"id\": 5, \"message\": \"deadlock: x\"}"),
        ("internal/v1/deadlocks/fail", "{\"id\": {\"nested\": true}, \"message\": \"deadlock: x\"}"),
        ("internal/v1/deadlocks/fail", "{\"id\": \"inv_1\", \"message\": [\"deadlock\"]}"),
        // A cycle another node found: {"members": [{"id", "target", "waits_on"}]}.
        ("internal/v1/deadlocks", ""),
        ("internal/v1/deadlocks", "{\"members\": [[1]]}"),
        ("internal/v1/deadlocks", "{\"members\": [{\"id\": 1, \"target\": \"A/k/run\", \"waits_on\": \"call\"}]}"),
    ];

    private KeelCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await KeelCluster.StartAsync(2);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_signed_malformed_deadlock_request_is_a_400_with_a_message()
    {
        var secret = await SignedInternalRequests.ReadSecretAsync(_cluster);
        using var http = new HttpClient();
        foreach (var (path, body) in MalformedJson)
        {
            using var response = await http.SendAsync(SignedInternalRequests.Post(SignedInternalRequests.Internal(_cluster.Nodes[1], path), secret, Encoding.UTF8.GetBytes(body)));
            await AssertRefusedAsync(response, $"{path} <- {body}");
        }

        await AssertStillServingAsync();
    }

    [Fact]
    public async Task A_signed_malformed_hand_over_is_a_400_with_a_message()
    {
        var secret = await SignedInternalRequests.ReadSecretAsync(_cluster);
        var node = _cluster.Nodes[1];
        var served = KeelCluster.Owners(await KeelCluster.StatusAsync(node)).First(o => o.Value == "node-2").Key;
        var url = SignedInternalRequests.Internal(node, $"internal/v1/partitions/{served}/handovers");
        using var http = new HttpClient();

        // A delivery that stops right after its sequence number (kind, source, sequence: 13 bytes).
        byte[] truncated = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        using (var response = await http.SendAsync(SignedInternalRequests.Post(url, secret, truncated)))
        {
            await AssertRefusedAsync(response, "a truncated delivery");
        }

        // Well formed, but from a partition that does not exist: its acknowledgement would have nowhere to go.
        var stray = HandOverCodec.Encode(served, [new PartitionCommand.Deliver(KeelCluster.PartitionCount + 3, 1, new RemoteOp.KillInvocation("inv_1"))]);
        using (var response = await http.SendAsync(SignedInternalRequests.Post(url, secret, stray)))
        {
            await AssertRefusedAsync(response, "a delivery from a partition that does not exist");
        }

        await AssertStillServingAsync();
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {(int)response.StatusCode} {text}");
        using var json = JsonDocument.Parse(text);
        Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("message").GetString()), $"{what}: {text}");
    }

    /// <summary>The node answers GET /cluster and still holds its share of the partitions.</summary>
    private Task AssertStillServingAsync() => _cluster.WaitUntilSpreadAsync(["node-1", "node-2"], askAt: _cluster.Nodes[1]);
}
