using System.Buffers.Text;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Keel.TestSupport;

/// <summary>
/// A fresh ed25519 request identity key for a test: the private key as a PKCS#8 PEM file (what
/// restate-server and keel-server read) and the public key as endpoints take it (<c>publickeyv1_</c> +
/// base58 of the 32 raw bytes). Can mint tokens itself, to probe an endpoint's checks directly.
/// </summary>
public sealed class IdentityKeyPair : IDisposable
{
    private readonly Ed25519PrivateKeyParameters _private;
    private readonly string _dir;

    private IdentityKeyPair(Ed25519PrivateKeyParameters key)
    {
        _private = key;
        _dir = Directory.CreateTempSubdirectory("keel-identity-").FullName;
        PemFile = Path.Combine(_dir, "private.pem");
        var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetDerEncoded();
        File.WriteAllText(PemFile, new string(PemEncoding.Write("PRIVATE KEY", der)) + "\n");
        PublicKey = "publickeyv1_" + Base58(key.GeneratePublicKey().GetEncoded());
    }

    public string PemFile { get; }

    public string PublicKey { get; }

    public static IdentityKeyPair Generate()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return new IdentityKeyPair((Ed25519PrivateKeyParameters)generator.GenerateKeyPair().Private);
    }

    /// <summary>A v1 token for <paramref name="audience"/>, valid from <paramref name="notBefore"/> to <paramref name="expires"/> (defaults: a minute either side of now).</summary>
    public string Mint(string audience, DateTimeOffset? notBefore = null, DateTimeOffset? expires = null)
    {
        var now = DateTimeOffset.UtcNow;
        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { typ = "JWT", alg = "EdDSA", kid = PublicKey }));
        var claims = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new
        {
            aud = audience,
            exp = (expires ?? now.AddMinutes(1)).ToUnixTimeSeconds(),
            iat = now.ToUnixTimeSeconds(),
            nbf = (notBefore ?? now.AddMinutes(-1)).ToUnixTimeSeconds(),
        }));
        var input = Encoding.ASCII.GetBytes(header + "." + claims);
        var signer = new Ed25519Signer();
        signer.Init(true, _private);
        signer.BlockUpdate(input, 0, input.Length);
        return header + "." + claims + "." + Base64Url.EncodeToString(signer.GenerateSignature());
    }

    // Base58 (bitcoin alphabet) through a big integer: written differently from the SDK's, on purpose.
    private static string Base58(byte[] bytes)
    {
        const string alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        var text = new StringBuilder();
        while (value > 0)
        {
            text.Insert(0, alphabet[(int)(value % 58)]);
            value /= 58;
        }

        return new string('1', bytes.TakeWhile(b => b == 0).Count()) + text;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
