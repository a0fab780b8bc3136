using System.Text.Json;
using Keel.Protocol.Manifest;

namespace Keel.Protocol.Tests;

/// <summary>The v4 <c>retryPolicy*</c> members of services and handlers: wire names, parsing and the acceptance rules.</summary>
public class ManifestRetryPolicyTests
{
    private const string Document = """
        {"protocolMode":"BIDI_STREAM","minProtocolVersion":5,"maxProtocolVersion":6,
         "services":[{"name":"Payments","ty":"SERVICE",
           "retryPolicyInitialInterval":100,"retryPolicyMaxInterval":30000,"retryPolicyMaxAttempts":8,
           "retryPolicyExponentiationFactor":1.5,"retryPolicyOnMaxAttempts":"KILL",
           "handlers":[{"name":"charge","retryPolicyMaxAttempts":1,"retryPolicyOnMaxAttempts":"PAUSE"},{"name":"refund"}]}]}
        """;

    [Fact]
    public void Retry_policy_members_are_read_on_services_and_handlers()
    {
        var service = EndpointManifest.FromJson(Document).Services[0];
        Assert.Equal(100, service.RetryPolicyInitialInterval);
        Assert.Equal(30000, service.RetryPolicyMaxInterval);
        Assert.Equal(8, service.RetryPolicyMaxAttempts);
        Assert.Equal(1.5, service.RetryPolicyExponentiationFactor);
        Assert.Equal(RetryPolicyOnMaxAttempts.Kill, service.RetryPolicyOnMaxAttempts);
        Assert.True(service.HasRetryPolicy);

        var charge = service.Handlers[0];
        Assert.Equal(1, charge.RetryPolicyMaxAttempts);
        Assert.Equal(RetryPolicyOnMaxAttempts.Pause, charge.RetryPolicyOnMaxAttempts);
        Assert.Null(charge.RetryPolicyInitialInterval);
        Assert.True(charge.HasRetryPolicy);
        Assert.False(service.Handlers[1].HasRetryPolicy);
    }

    [Fact]
    public void Retry_policy_members_round_trip_with_their_wire_names()
    {
        var manifest = EndpointManifest.FromJson(Document);
        var json = manifest.ToJson();
        using var written = JsonDocument.Parse(json);
        var service = written.RootElement.GetProperty("services")[0];
        Assert.Equal("KILL", service.GetProperty("retryPolicyOnMaxAttempts").GetString());
        Assert.Equal(1.5, service.GetProperty("retryPolicyExponentiationFactor").GetDouble());
        Assert.Equal(100, service.GetProperty("retryPolicyInitialInterval").GetInt64());
        Assert.Equal("PAUSE", service.GetProperty("handlers")[0].GetProperty("retryPolicyOnMaxAttempts").GetString());
        Assert.False(service.GetProperty("handlers")[1].TryGetProperty("retryPolicyMaxAttempts", out _));
        Assert.False(service.TryGetProperty("hasRetryPolicy", out _));
        Assert.False(service.TryGetProperty("HasRetryPolicy", out _));

        var again = EndpointManifest.FromJson(json);
        Assert.Equal(manifest.Services[0] with { Handlers = [] }, again.Services[0] with { Handlers = [] });
        Assert.Equal(manifest.Services[0].Handlers, again.Services[0].Handlers);
    }

    [Fact]
    public void An_integral_factor_and_an_unknown_on_max_value_are_told_apart()
    {
        Assert.Equal(2.0, EndpointManifest.FromJson(Document.Replace("1.5", "2", StringComparison.Ordinal)).Services[0].RetryPolicyExponentiationFactor);
        Assert.Throws<JsonException>(() => EndpointManifest.FromJson(Document.Replace("\"KILL\"", "\"STOP\"", StringComparison.Ordinal)));
    }

    [Theory]
    // member, JSON value → the problem mentions this member, or "" when acceptable
    [InlineData("retryPolicyInitialInterval", "0", "")]
    [InlineData("retryPolicyInitialInterval", "1", "")]
    [InlineData("retryPolicyInitialInterval", "-1", "retryPolicyInitialInterval")]
    [InlineData("retryPolicyInitialInterval", "9223372036854775807", "retryPolicyInitialInterval")]
    [InlineData("retryPolicyMaxInterval", "0", "")]
    [InlineData("retryPolicyMaxInterval", "86400000", "")]
    [InlineData("retryPolicyMaxInterval", "-5", "retryPolicyMaxInterval")]
    [InlineData("retryPolicyMaxAttempts", "0", "")]
    [InlineData("retryPolicyMaxAttempts", "1", "")]
    [InlineData("retryPolicyMaxAttempts", "2147483647", "")]
    [InlineData("retryPolicyMaxAttempts", "-1", "retryPolicyMaxAttempts")]
    [InlineData("retryPolicyExponentiationFactor", "1", "")]
    [InlineData("retryPolicyExponentiationFactor", "1.0001", "")]
    [InlineData("retryPolicyExponentiationFactor", "10", "")]
    [InlineData("retryPolicyExponentiationFactor", "0.99", "retryPolicyExponentiationFactor")]
    [InlineData("retryPolicyExponentiationFactor", "0", "retryPolicyExponentiationFactor")]
    [InlineData("retryPolicyExponentiationFactor", "-2", "retryPolicyExponentiationFactor")]
    [InlineData("retryPolicyOnMaxAttempts", "\"KILL\"", "")]
    public void Retry_policy_values_are_checked(string member, string value, string problemAbout)
    {
        var service = EndpointManifest.FromJson($$"""
            {"protocolMode":"BIDI_STREAM","minProtocolVersion":5,"maxProtocolVersion":6,
             "services":[{"name":"S","ty":"SERVICE","{{member}}":{{value}},"handlers":[{"name":"h","{{member}}":{{value}}}]}]}
            """).Services[0];
        foreach (var problem in new[] { service.RetryPolicyProblem(), service.Handlers[0].RetryPolicyProblem() })
        {
            if (problemAbout.Length == 0)
            {
                Assert.Null(problem);
            }
            else
            {
                Assert.NotNull(problem);
                Assert.StartsWith(problemAbout + " ", problem, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_factor_that_is_not_a_finite_number_is_rejected()
    {
        Assert.NotNull(new HandlerManifest { Name = "h", RetryPolicyExponentiationFactor = double.PositiveInfinity }.RetryPolicyProblem());
        Assert.NotNull(new HandlerManifest { Name = "h", RetryPolicyExponentiationFactor = double.NaN }.RetryPolicyProblem());
        Assert.Null(new HandlerManifest { Name = "h" }.RetryPolicyProblem());
    }
}
