using System.Net;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;

namespace Keel.Server.Tests.Admin;

/// <summary>A deployment's additional_headers cannot replace the headers the server signs and frames its requests with.</summary>
public class ReservedHeadersTests
{
    [Theory]
    [InlineData("x-restate-signature-scheme")]
    [InlineData("X-Restate-JWT-V1")]
    [InlineData("x-restate-invocation-id")]
    [InlineData("content-type")]
    [InlineData("Host")]
    [InlineData("transfer-encoding")]
    public async Task A_registration_naming_a_header_the_server_sets_is_a_400_naming_it_and_asks_nothing(string header)
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));

        var (status, body, _) = await host.SendAsync(HttpMethod.Post, "/deployments",
            new JsonObject { ["uri"] = endpoint.Uri.ToString(), ["additional_headers"] = new JsonObject { [header] = "forged" } }.Text());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"'{header}' is set by the server itself", (string)body!["message"]!, StringComparison.Ordinal);
        Assert.Equal(0, endpoint.Requests);
        Assert.Empty((await host.GetAsync("/deployments"))["deployments"]!.AsArray());
    }

    [Theory]
    [InlineData("Bearer \u00e9t\u00e9")]
    [InlineData("a\r\nx-injected: 1")]
    [InlineData("nul\u0000")]
    public async Task A_header_value_http_cannot_carry_is_a_400_naming_the_header_and_asks_nothing(string value)
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));

        var (status, body, _) = await host.SendAsync(HttpMethod.Post, "/deployments",
            new JsonObject { ["uri"] = endpoint.Uri.ToString(), ["additional_headers"] = new JsonObject { ["authorization"] = value } }.Text());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("the value of 'authorization' must be printable ASCII", (string)body!["message"]!, StringComparison.Ordinal);
        Assert.Equal(0, endpoint.Requests);
    }

    [Fact]
    public async Task Other_headers_are_taken_and_sent_with_discovery()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));

        await host.RegisterAsync(endpoint.Uri, new { additional_headers = new Dictionary<string, string> { ["authorization"] = "Bearer x", ["x-tenant"] = "t1" } });

        Assert.Equal(["Bearer x"], endpoint.LastHeaders["authorization"]);
        Assert.Equal(["t1"], endpoint.LastHeaders["x-tenant"]);
    }

    [Fact]
    public async Task Discovery_never_sends_a_reserved_header_from_a_deployment_stored_before_the_rule()
    {
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));
        var headers = new Dictionary<string, string> { ["x-restate-signature-scheme"] = "v1", ["x-restate-jwt-v1"] = "forged.token.here", ["x-tenant"] = "t1" };

        await new DiscoveryClient(attempts: 1).DiscoverAsync(endpoint.Uri, DeploymentHttpVersion.Http2PriorKnowledge, headers, CancellationToken.None);

        Assert.Equal(["unsigned"], endpoint.LastHeaders["x-restate-signature-scheme"]);
        Assert.False(endpoint.LastHeaders.ContainsKey("x-restate-jwt-v1"));
        Assert.Equal(["t1"], endpoint.LastHeaders["x-tenant"]);
    }
}
