using Keel.Server.Cluster.Security;
using Keel.TestSupport;
using Npgsql;

namespace Keel.Server.Postgres.Tests.Cluster;

/// <summary>Requests to a node's internal listener signed as a node signs them, with the cluster's real secret read from its database.</summary>
internal static class SignedInternalRequests
{
    public static async Task<byte[]> ReadSecretAsync(KeelCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.Postgres.ConnectionString());
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT secret FROM keel_cluster_secret WHERE id = 1", connection);
        return (byte[])(await read.ExecuteScalarAsync())!;
    }

    /// <summary>The node's internal URL for <paramref name="path"/> (no leading slash).</summary>
    public static Uri Internal(KeelServerProcess node, string path) => new($"http://127.0.0.1:{node.InternalPort}/{path}");

    /// <summary>A POST of <paramref name="body"/>, signed now as node-1 with a fresh nonce.</summary>
    public static HttpRequestMessage Post(Uri url, byte[] secret, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        InternalRequestSignature.Sign(request, secret, "node-1", DateTimeOffset.UtcNow, body);
        return request;
    }
}
