using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Keel.Server.Identity;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Keel.Server.Tests.Identity;

public class RequestSignerTests
{
    // restate-server's own test key (crates/service-client request identity tests) and the key id it derives.
    private const string RestateTestKey = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIPe++4ZTPQDF81otpoU/mOGHC2vOAVp9WbiCblvn3nXO
        -----END PRIVATE KEY-----
        """;

    [Fact]
    public void Public_key_is_publickeyv1_and_base58_of_the_raw_key_as_restate_derives_it()
    {
        var signer = RequestSigner.FromPem(RestateTestKey);
        Assert.Equal("publickeyv1_AfQwmwfgEZhrWpvv8N52SHpRtZqGGaFr4AZN6qtYWSiY", signer.PublicKey);
    }

    [Fact]
    public void Token_is_an_EdDSA_JWT_with_restates_header_and_claims_and_verifies_with_the_public_key()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var signer = RequestSigner.FromPem(RestateTestKey, time);
        var token = signer.CreateToken("/invoke/Greeter/greet");
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);

        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        Assert.Equal("EdDSA", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal(signer.PublicKey, header.RootElement.GetProperty("kid").GetString());

        using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        Assert.Equal("/invoke/Greeter/greet", claims.RootElement.GetProperty("aud").GetString());
        Assert.Equal(1_800_000_000, claims.RootElement.GetProperty("iat").GetInt64());
        Assert.Equal(1_800_000_000 - 60, claims.RootElement.GetProperty("nbf").GetInt64());
        Assert.Equal(1_800_000_000 + 60, claims.RootElement.GetProperty("exp").GetInt64());

        // The public key restate-server's test pairs with that private key.
        var publicKey = (Ed25519PublicKeyParameters)PublicKeyFactory.CreateKey(Convert.FromBase64String("MCowBQYDK2VwAyEAj5BTvH+WJo0QGHm2hdLOuk6P7szKgTQxmpnnmZe/DcU="));
        var verifier = new Ed25519Signer();
        verifier.Init(false, publicKey);
        var data = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        verifier.BlockUpdate(data, 0, data.Length);
        Assert.True(verifier.VerifySignature(Base64Url.DecodeFromChars(parts[2])));
    }

    [Fact]
    public void Requests_carry_the_scheme_and_the_token_or_say_unsigned()
    {
        using var signed = new HttpRequestMessage(HttpMethod.Get, "http://localhost/discover");
        RequestSigner.FromPem(RestateTestKey).Sign(signed.Headers, "/discover");
        Assert.Equal("v1", Assert.Single(signed.Headers.GetValues("x-restate-signature-scheme")));
        Assert.Single(signed.Headers.GetValues("x-restate-jwt-v1"));

        using var unsigned = new HttpRequestMessage(HttpMethod.Get, "http://localhost/discover");
        RequestSigner.Unsigned.Sign(unsigned.Headers, "/discover");
        Assert.Equal("unsigned", Assert.Single(unsigned.Headers.GetValues("x-restate-signature-scheme")));
        Assert.False(unsigned.Headers.Contains("x-restate-jwt-v1"));
        Assert.Null(RequestSigner.Unsigned.PublicKey);
    }

    [Fact]
    public void A_freshly_generated_pkcs8_key_loads_from_a_file()
    {
        var pem = GeneratePem(out var publicKey);
        var path = Path.Combine(Path.GetTempPath(), $"keel-identity-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, pem);
        try
        {
            Assert.Equal(publicKey, RequestSigner.FromPemFile(path).PublicKey);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("not a pem", "no PEM block")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAj5BTvH+WJo0QGHm2hdLOuk6P7szKgTQxmpnnmZe/DcU=\n-----END PUBLIC KEY-----", "PUBLIC KEY")]
    public void Bad_key_files_are_explained(string pem, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => RequestSigner.FromPem(pem));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_keys_in_one_file_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => RequestSigner.FromPem(RestateTestKey + "\n" + RestateTestKey));
        Assert.Contains("exactly one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_explained()
    {
        var e = Assert.Throws<ArgumentException>(() => RequestSigner.FromPemFile("/nonexistent/key.pem"));
        Assert.Contains("/nonexistent/key.pem", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A new ed25519 key as PKCS#8 PEM, and its <c>publickeyv1_</c> form.</summary>
    internal static string GeneratePem(out string publicKey)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
        publicKey = RequestSigner.FromPem(ToPem(der)).PublicKey!;
        return ToPem(der);
    }

    private static string ToPem(byte[] der) => new string(System.Security.Cryptography.PemEncoding.Write("PRIVATE KEY", der));
}
