using System.Globalization;
using System.Security.Cryptography;

namespace Keel.Server.Cluster.Security;

/// <summary>
/// Checks a node-to-node request: a valid signature with the cluster secret, a timestamp within the
/// allowed skew of this node's clock, and a nonce not seen before within that window. A request
/// that fails any of them is refused before it can change anything.
/// </summary>
internal sealed class InternalRequestVerifier(byte[] secret, TimeProvider clock, TimeSpan? allowedSkew = null)
{
    private readonly TimeSpan _window = allowedSkew ?? TimeSpan.FromSeconds(60);
    private readonly NonceCache _nonces = new();

    /// <summary>Null when the request is authentic and fresh; otherwise why it is refused.</summary>
    public string? Verify(string method, string pathAndQuery, Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        if (header(InternalRequestSignature.NodeHeader) is not { Length: > 0 } node
            || header(InternalRequestSignature.TimestampHeader) is not { } timestampText
            || header(InternalRequestSignature.NonceHeader) is not { Length: >= 16 and <= 64 } nonce
            || header(InternalRequestSignature.SignatureHeader) is not { } signatureText)
        {
            return "the request is not signed with the cluster secret";
        }

        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestampMs))
        {
            return "the request's timestamp is malformed";
        }

        var expected = Convert.FromBase64String(InternalRequestSignature.Compute(secret, method, pathAndQuery, node, timestampMs, nonce, body));
        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(signatureText);
        }
        catch (FormatException)
        {
            return "the request's signature is malformed";
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return "the request's signature does not match the cluster secret";
        }

        var now = clock.GetUtcNow();
        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timestampMs, 0, DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()));
        if ((now - sentAt).Duration() > _window)
        {
            return $"the request was signed at {sentAt:O}, outside the {_window.TotalSeconds:F0} s window of this node's clock";
        }

        // Only after the signature holds: an attacker cannot fill the cache with nonces of its own.
        return _nonces.TryAdd(nonce, sentAt + _window + _window, now) ? null : "the request was already received once (a replay)";
    }
}
