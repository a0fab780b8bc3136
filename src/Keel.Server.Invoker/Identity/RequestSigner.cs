using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace Keel.Server.Identity;

/// <summary>
/// Request identity, scheme v1 (as restate-server): every request to a deployment carries
/// <c>x-restate-signature-scheme: v1</c> and <c>x-restate-jwt-v1</c>, a JWT signed with ed25519
/// (<c>alg</c> EdDSA, <c>typ</c> JWT, <c>kid</c> the public key as <c>publickeyv1_</c> + base58 of
/// its 32 raw bytes) whose claims are <c>aud</c> (the request path, e.g. <c>/invoke/Svc/handler</c>
/// or <c>/discover</c>), <c>iat</c> (now), <c>nbf</c> (now − 60 s) and <c>exp</c> (now + 60 s).
/// Without a key, requests say <c>x-restate-signature-scheme: unsigned</c>.
/// </summary>
public sealed class RequestSigner
{
    public const string SchemeHeader = "x-restate-signature-scheme";
    public const string JwtHeader = "x-restate-jwt-v1";
    public const string KeyPrefix = "publickeyv1_";
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);

    private readonly Ed25519PrivateKeyParameters? _key;
    private readonly string? _encodedHeader;
    private readonly TimeProvider _time;

    private RequestSigner(Ed25519PrivateKeyParameters? key, TimeProvider time)
    {
        _key = key;
        _time = time;
        if (key is not null)
        {
            PublicKey = KeyPrefix + Base58.Encode(key.GeneratePublicKey().GetEncoded());
            _encodedHeader = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
            {
                ["typ"] = "JWT",
                ["alg"] = "EdDSA",
                ["kid"] = PublicKey,
            }));
        }
    }

    /// <summary>Signs nothing: requests say <c>unsigned</c>.</summary>
    public static RequestSigner Unsigned { get; } = new(null, TimeProvider.System);

    /// <summary>The public key endpoints are configured with (<c>publickeyv1_…</c>), or null when unsigned.</summary>
    public string? PublicKey { get; }

    /// <summary>A signer from a PEM holding one ed25519 private key in PKCS#8 (<c>-----BEGIN PRIVATE KEY-----</c>), as <c>openssl genpkey -algorithm ed25519</c> writes.</summary>
    /// <exception cref="ArgumentException">The text holds no such key; the message says what was found.</exception>
    public static RequestSigner FromPem(string pem, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new ArgumentException("The request identity key file holds no PEM block; expected an ed25519 private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----), e.g. from `openssl genpkey -algorithm ed25519`.");
        }

        if (PemEncoding.TryFind(pem.AsSpan()[fields.Location.End..], out _))
        {
            throw new ArgumentException("The request identity key file must hold exactly one PEM block (one private key), found more.");
        }

        var label = pem[fields.Label];
        if (label != "PRIVATE KEY")
        {
            throw new ArgumentException($"The request identity key file holds a '{label}' PEM block; expected an ed25519 private key in PKCS#8 (-----BEGIN PRIVATE KEY-----).");
        }

        try
        {
            var der = Convert.FromBase64String(pem[fields.Base64Data]);
            return PrivateKeyFactory.CreateKey(der) is Ed25519PrivateKeyParameters key
                ? new RequestSigner(key, time ?? TimeProvider.System)
                : throw new ArgumentException("The request identity key is not an ed25519 key; Restate's request identity uses ed25519 (`openssl genpkey -algorithm ed25519`).");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or IOException or ArgumentOutOfRangeException or SecurityUtilityException or InvalidCastException)
        {
            throw new ArgumentException($"The request identity key could not be read as a PKCS#8 ed25519 private key: {e.Message}", e);
        }
    }

    /// <summary>Reads <see cref="FromPem"/> from a file.</summary>
    public static RequestSigner FromPemFile(string path, TimeProvider? time = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"Cannot read the request identity key file '{path}': {e.Message}", e);
        }

        try
        {
            return FromPem(text, time);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Adds the identity headers for a request to <paramref name="path"/> (the audience).</summary>
    public void Sign(System.Net.Http.Headers.HttpRequestHeaders headers, string path)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (_key is null)
        {
            headers.TryAddWithoutValidation(SchemeHeader, "unsigned");
            return;
        }

        headers.TryAddWithoutValidation(SchemeHeader, "v1");
        headers.TryAddWithoutValidation(JwtHeader, CreateToken(path));
    }

    /// <summary>A JWT for a request to <paramref name="path"/>.</summary>
    public string CreateToken(string path)
    {
        if (_key is null)
        {
            throw new InvalidOperationException("No request identity key is configured.");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var leeway = (long)Leeway.TotalSeconds;
        using var claims = new MemoryStream();
        using (var writer = new Utf8JsonWriter(claims))
        {
            writer.WriteStartObject();
            writer.WriteString("aud", path);
            writer.WriteNumber("exp", now + leeway);
            writer.WriteNumber("iat", now);
            writer.WriteNumber("nbf", Math.Max(0, now - leeway));
            writer.WriteEndObject();
        }

        var signingInput = _encodedHeader + "." + Base64Url.EncodeToString(claims.ToArray());
        var data = Encoding.ASCII.GetBytes(signingInput);
        var signer = new Ed25519Signer();
        signer.Init(true, _key);
        signer.BlockUpdate(data, 0, data.Length);
        return signingInput + "." + Base64Url.EncodeToString(signer.GenerateSignature());
    }
}

/// <summary>Base58 with the bitcoin alphabet, as in <c>publickeyv1_</c> keys.</summary>
internal static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        var zeros = 0;
        while (zeros < bytes.Length && bytes[zeros] == 0)
        {
            zeros++;
        }

        // Digits in base 58, least significant first.
        var digits = new List<int>();
        for (var i = zeros; i < bytes.Length; i++)
        {
            var carry = (int)bytes[i];
            for (var j = 0; j < digits.Count; j++)
            {
                carry += digits[j] << 8;
                digits[j] = carry % 58;
                carry /= 58;
            }

            while (carry > 0)
            {
                digits.Add(carry % 58);
                carry /= 58;
            }
        }

        var text = new StringBuilder(zeros + digits.Count);
        text.Append('1', zeros);
        for (var i = digits.Count - 1; i >= 0; i--)
        {
            text.Append(Alphabet[digits[i]]);
        }

        return text.ToString();
    }
}
