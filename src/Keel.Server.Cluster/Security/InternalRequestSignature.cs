using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Keel.Server.Cluster.Security;

/// <summary>
/// The signature on node-to-node requests: HMAC-SHA256 with the cluster's shared secret over the
/// method, path, sending node, timestamp, a one-time nonce and the body's hash. The secret lives in
/// the cluster's database, so exactly the nodes that may write the cluster's data can sign; the
/// timestamp and nonce let the receiver refuse a captured request played again.
/// </summary>
internal static class InternalRequestSignature
{
    public const string NodeHeader = "x-keel-node";
    public const string TimestampHeader = "x-keel-timestamp";
    public const string NonceHeader = "x-keel-nonce";
    public const string SignatureHeader = "x-keel-signature";

    /// <summary>The shared secret's length; the database holds it, nodes read it at start.</summary>
    public const int SecretBytes = 32;

    public static string Compute(ReadOnlySpan<byte> secret, string method, string pathAndQuery, string node, long timestampMs, string nonce, ReadOnlySpan<byte> body)
    {
        var bodyHash = Convert.ToHexStringLower(SHA256.HashData(body));
        var canonical = string.Join('\n', "keel-internal-v1", method.ToUpperInvariant(), pathAndQuery, node,
            timestampMs.ToString(CultureInfo.InvariantCulture), nonce, bodyHash);
        return Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>Adds the node, timestamp, nonce and signature headers to an outgoing request whose body is <paramref name="body"/>.</summary>
    public static void Sign(HttpRequestMessage request, ReadOnlySpan<byte> secret, string node, DateTimeOffset now, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(request);
        var timestamp = now.ToUnixTimeMilliseconds();
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
        var signature = Compute(secret, request.Method.Method, request.RequestUri!.PathAndQuery, node, timestamp, nonce, body);
        request.Headers.TryAddWithoutValidation(NodeHeader, node);
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(NonceHeader, nonce);
        request.Headers.TryAddWithoutValidation(SignatureHeader, signature);
    }
}
