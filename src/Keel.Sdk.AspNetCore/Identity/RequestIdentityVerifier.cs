using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Keel.Sdk.AspNetCore.Identity;

/// <summary>
/// Checks request identity, scheme v1 (as Restate's SDKs): a request must say
/// <c>x-restate-signature-scheme: v1</c> and carry in <c>x-restate-jwt-v1</c> a JWT with
/// <c>alg</c> EdDSA, signed by one of the configured ed25519 keys (<c>publickeyv1_</c> + base58 of
/// the 32 raw bytes), whose <c>aud</c> is the request's path (<c>/invoke/{service}/{handler}</c> or
/// <c>/discover</c>, whatever prefix the endpoint is mounted under), not yet expired (<c>exp</c>)
/// and already valid (<c>nbf</c>).
/// </summary>
internal sealed class RequestIdentityVerifier
{
    public const string SchemeHeader = "x-restate-signature-scheme";
    public const string JwtHeader = "x-restate-jwt-v1";
    public const string KeyPrefix = "publickeyv1_";

    private readonly Ed25519PublicKeyParameters[] _keys;

    /// <exception cref="ArgumentException">A key is not a <c>publickeyv1_</c> key; the message names it.</exception>
    public RequestIdentityVerifier(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys.Select(k => k.Trim()).Where(k => k.Length > 0).Distinct(StringComparer.Ordinal).Select(Parse)];
    }

    /// <summary>No keys: every request is accepted.</summary>
    public bool Enabled => _keys.Length > 0;

    private static Ed25519PublicKeyParameters Parse(string key)
    {
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Identity key '{key}' is not a request identity v1 public key: expected '{KeyPrefix}' followed by base58, as restate-server or keel-server log at start.");
        }

        var raw = Base58.Decode(key.AsSpan(KeyPrefix.Length))
            ?? throw new ArgumentException($"Identity key '{key}' is not valid base58 after '{KeyPrefix}'.");
        return raw.Length == Ed25519PublicKeyParameters.KeySize
            ? new Ed25519PublicKeyParameters(raw)
            : throw new ArgumentException($"Identity key '{key}' decodes to {raw.Length} bytes; an ed25519 public key has {Ed25519PublicKeyParameters.KeySize}.");
    }

    /// <summary>Null when the request may pass, else why it may not.</summary>
    /// <param name="scheme">The <c>x-restate-signature-scheme</c> header (<c>v1</c> for signed requests).</param>
    /// <param name="jwt">The <c>x-restate-jwt-v1</c> header.</param>
    /// <param name="rawPath">The request's path as sent (still percent-encoded), without the query.</param>
    /// <param name="now">The time the token's validity is checked at.</param>
    public string? Check(string? scheme, string? jwt, string rawPath, DateTimeOffset now)
    {
        if (!Enabled)
        {
            return null;
        }

        switch (scheme)
        {
            case null or "":
                return $"Missing header {SchemeHeader}: this endpoint accepts only requests signed by a Keel or Restate server with one of its identity keys.";
            case "unsigned":
                return "The request is unsigned: this endpoint accepts only requests signed with one of its identity keys. Configure the server with the matching private key (--request-identity-private-key-pem-file).";
            case "v1":
                break;
            default:
                return $"Unsupported {SchemeHeader} '{scheme}'; expected v1.";
        }

        if (string.IsNullOrEmpty(jwt))
        {
            return $"Missing header {JwtHeader}.";
        }

        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return $"Invalid {JwtHeader}: not a compact JWT.";
        }

        byte[] signature;
        byte[] claimsJson;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "EdDSA")
            {
                return $"Invalid {JwtHeader}: the algorithm must be EdDSA.";
            }

            claimsJson = Base64Url.DecodeFromChars(parts[1]);
            signature = Base64Url.DecodeFromChars(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return $"Invalid {JwtHeader}: {e.Message}";
        }

        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!_keys.Any(key => Verifies(key, signed, signature)))
        {
            return $"Invalid {JwtHeader}: the signature matches none of this endpoint's identity keys.";
        }

        return CheckClaims(claimsJson, Audience(rawPath), now.ToUnixTimeSeconds());
    }

    private static bool Verifies(Ed25519PublicKeyParameters key, byte[] data, byte[] signature)
    {
        var verifier = new Ed25519Signer();
        verifier.Init(false, key);
        verifier.BlockUpdate(data, 0, data.Length);
        return verifier.VerifySignature(signature);
    }

    private static string? CheckClaims(byte[] json, string audience, long now)
    {
        try
        {
            using var claims = JsonDocument.Parse(json);
            var root = claims.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return $"Invalid {JwtHeader}: the claims are not a JSON object.";
            }

            if (!root.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || exp.GetDouble() < now)
            {
                return $"Invalid {JwtHeader}: expired (or no exp claim).";
            }

            if (!root.TryGetProperty("nbf", out var nbf) || nbf.ValueKind != JsonValueKind.Number || nbf.GetDouble() > now)
            {
                return $"Invalid {JwtHeader}: not valid yet (or no nbf claim); are the clocks of server and endpoint apart?";
            }

            if (!root.TryGetProperty("aud", out var aud))
            {
                return $"Invalid {JwtHeader}: no aud claim.";
            }

            var audiences = aud.ValueKind == JsonValueKind.Array ? aud.EnumerateArray().ToArray() : [aud];
            return audiences.Any(a => a.ValueKind == JsonValueKind.String && a.GetString() == audience)
                ? null
                : $"Invalid {JwtHeader}: the token is for {aud.GetRawText()}, not for {audience}.";
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return $"Invalid {JwtHeader}: {e.Message}";
        }
    }

    /// <summary>
    /// The audience a request's path must be signed for: the path from <c>/invoke/{service}/{handler}</c>
    /// or <c>/discover</c> on, so an endpoint mounted under a prefix (or behind a proxy adding one)
    /// checks what the server signed.
    /// </summary>
    internal static string Audience(string rawPath)
    {
        var slashes = new List<int>();
        for (var i = 0; i < rawPath.Length; i++)
        {
            if (rawPath[i] == '/')
            {
                slashes.Add(i);
            }
        }

        if (slashes.Count >= 3)
        {
            var start = slashes[^3];
            if (rawPath.AsSpan(start, slashes[^2] - start).SequenceEqual("/invoke"))
            {
                return rawPath[start..];
            }
        }

        return slashes.Count > 0 && rawPath.AsSpan(slashes[^1]).SequenceEqual("/discover") ? rawPath[slashes[^1]..] : rawPath;
    }
}

/// <summary>Base58 (bitcoin alphabet) decoding, for <c>publickeyv1_</c> keys.</summary>
internal static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    /// <summary>The bytes, or null when the text is not base58.</summary>
    public static byte[]? Decode(ReadOnlySpan<char> text)
    {
        var zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }

        // Bytes, least significant first.
        var bytes = new List<byte>();
        for (var i = zeros; i < text.Length; i++)
        {
            var carry = Alphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (carry < 0)
            {
                return null;
            }

            for (var j = 0; j < bytes.Count; j++)
            {
                carry += bytes[j] * 58;
                bytes[j] = (byte)(carry & 0xff);
                carry >>= 8;
            }

            while (carry > 0)
            {
                bytes.Add((byte)(carry & 0xff));
                carry >>= 8;
            }
        }

        var result = new byte[zeros + bytes.Count];
        for (var i = 0; i < bytes.Count; i++)
        {
            result[^(i + 1)] = bytes[i];
        }

        return result;
    }
}
