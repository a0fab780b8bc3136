using System.Text;
using Keel.Server.Cluster.Security;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Tests.Cluster.Security;

public sealed class InternalRequestVerifierTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("hand-over bytes");
    private const string Path = "/internal/v1/partitions/3/handovers";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_signed_request_passes_once()
    {
        var verifier = new InternalRequestVerifier(Secret, _clock);
        var headers = Signed(Secret, Body, _clock.GetUtcNow());
        Assert.Null(verifier.Verify("POST", Path, headers.GetValueOrDefault, Body));
        Assert.Contains("replay", verifier.Verify("POST", Path, headers.GetValueOrDefault, Body));
    }

    [Fact]
    public void An_unsigned_request_is_refused() =>
        Assert.NotNull(new InternalRequestVerifier(Secret, _clock).Verify("POST", Path, _ => null, Body));

    [Fact]
    public void A_request_signed_with_another_secret_is_refused()
    {
        var headers = Signed(Encoding.UTF8.GetBytes("another secret of thirty-two b!"), Body, _clock.GetUtcNow());
        Assert.Contains("does not match", new InternalRequestVerifier(Secret, _clock).Verify("POST", Path, headers.GetValueOrDefault, Body));
    }

    [Fact]
    public void A_changed_body_or_path_is_refused()
    {
        var verifier = new InternalRequestVerifier(Secret, _clock);
        var headers = Signed(Secret, Body, _clock.GetUtcNow());
        Assert.NotNull(verifier.Verify("POST", Path, headers.GetValueOrDefault, Encoding.UTF8.GetBytes("forged ack")));
        Assert.NotNull(verifier.Verify("POST", "/internal/v1/partitions/4/handovers", headers.GetValueOrDefault, Body));
    }

    [Fact]
    public void A_request_replayed_after_the_window_is_refused_even_when_the_nonce_was_forgotten()
    {
        var verifier = new InternalRequestVerifier(Secret, _clock, TimeSpan.FromSeconds(60));
        var headers = Signed(Secret, Body, _clock.GetUtcNow());
        Assert.Null(verifier.Verify("POST", Path, headers.GetValueOrDefault, Body));
        _clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Contains("outside", verifier.Verify("POST", Path, headers.GetValueOrDefault, Body));
    }

    [Fact]
    public void A_request_from_the_future_is_refused()
    {
        var headers = Signed(Secret, Body, _clock.GetUtcNow().AddMinutes(5));
        Assert.Contains("outside", new InternalRequestVerifier(Secret, _clock, TimeSpan.FromSeconds(60)).Verify("POST", Path, headers.GetValueOrDefault, Body));
    }

    private static Dictionary<string, string> Signed(byte[] secret, byte[] body, DateTimeOffset at)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("http://node-b:5122" + Path));
        InternalRequestSignature.Sign(request, secret, "node-a", at, body);
        return request.Headers.ToDictionary(h => h.Key, h => h.Value.Single(), StringComparer.OrdinalIgnoreCase);
    }
}
