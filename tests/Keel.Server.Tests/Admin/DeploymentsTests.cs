using System.Globalization;
using System.Net;
using Keel.Server.Admin;

namespace Keel.Server.Tests.Admin;

public class DeploymentsTests
{
    [Fact]
    public async Task The_list_shows_each_deployment_with_its_own_service_revisions_and_a_utc_creation_time()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var id = (string)(await host.RegisterAsync(endpoint.Uri, new { metadata = new { team = "payments" } }))["id"]!;

        var deployment = (await host.GetAsync("/deployments"))["deployments"]!.AsArray().Single()!.AsObject();

        Assert.Equal(
            ["id", "uri", "protocol_type", "http_version", "metadata", "created_at", "min_protocol_version", "max_protocol_version", "sdk_version", "services"],
            deployment.Select(p => p.Key));
        Assert.Equal((id, endpoint.Uri.ToString(), "BidiStream", "HTTP/2.0", "payments"),
            ((string)deployment["id"]!, (string)deployment["uri"]!, (string)deployment["protocol_type"]!, (string)deployment["http_version"]!, (string)deployment["metadata"]!["team"]!));
        var createdAt = (string)deployment["created_at"]!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", createdAt);
        var parsed = DateTimeOffset.Parse(createdAt, CultureInfo.InvariantCulture);
        Assert.InRange(parsed, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("""[{"name":"Counter","revision":1},{"name":"Greeter","revision":1}]""", deployment["services"]!.Text());
    }

    [Fact]
    public async Task The_detailed_deployment_has_its_services_as_full_metadata()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        var id = (string)(await host.RegisterAsync(endpoint.Uri))["id"]!;

        var detailed = await host.GetAsync($"/v3/deployments/{id}");

        Assert.Equal(id, (string)detailed["id"]!);
        var services = detailed["services"]!.AsArray();
        Assert.Equal((await host.GetAsync("/services/Counter")).Text(), services[0]!.Text());
        Assert.Equal((await host.GetAsync("/services/Greeter")).Text(), services[1]!.Text());
    }

    [Fact]
    public async Task Unknown_and_malformed_ids_are_404_and_400_json()
    {
        await using var host = await AdminHost.StartAsync();
        var unknown = DeploymentIds.New(DateTimeOffset.UtcNow);

        var (getStatus, getBody, _) = await host.SendAsync(HttpMethod.Get, $"/deployments/{unknown}");
        var (deleteStatus, deleteBody, _) = await host.SendAsync(HttpMethod.Delete, $"/deployments/{unknown}?force=true");
        var (malformedStatus, malformedBody, _) = await host.SendAsync(HttpMethod.Get, "/deployments/xyz");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.BadRequest), (getStatus, deleteStatus, malformedStatus));
        Assert.Equal($$"""{"message":"The requested deployment '{{unknown}}' does not exist","restate_code":null}""", getBody!.Text());
        Assert.Equal(getBody!.Text(), deleteBody!.Text());
        Assert.Contains("not a deployment id", (string)malformedBody!["message"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_needs_force_then_removes_the_deployment_and_its_services_fall_back_or_disappear()
    {
        await using var host = await AdminHost.StartAsync();
        await using var v1 = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));
        await using var v2 = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        var first = (string)(await host.RegisterAsync(v1.Uri))["id"]!;
        var second = (string)(await host.RegisterAsync(v2.Uri))["id"]!;

        var (notForced, notForcedBody, _) = await host.SendAsync(HttpMethod.Delete, $"/deployments/{second}");
        Assert.Equal(HttpStatusCode.NotImplemented, notForced);
        Assert.Contains("force=true", (string)notForcedBody!["message"]!, StringComparison.Ordinal);
        Assert.Equal(2, (await host.GetAsync("/deployments"))["deployments"]!.AsArray().Count);

        var (forced, _, _) = await host.SendAsync(HttpMethod.Delete, $"/deployments/{second}?force=true");

        Assert.Equal(HttpStatusCode.Accepted, forced);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, $"/deployments/{second}")).Status);
        Assert.Equal(first, (string)(await host.GetAsync("/deployments"))["deployments"]!.AsArray().Single()!["id"]!);
        var counter = await host.GetAsync("/services/Counter");
        Assert.Equal((first, 1), ((string)counter["deployment_id"]!, (int)counter["revision"]!));
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "/services/Greeter")).Status);
        Assert.False(host.Schema.TryGetDeployment(second, out _));
        Assert.False(new SchemaRegistry(host.DataDirectory).TryGetDeployment(second, out _));
    }
}
