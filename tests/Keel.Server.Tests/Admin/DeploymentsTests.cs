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

public class SchemaUpgradeTests
{
    [Fact]
    public void Deployment_ids_of_earlier_versions_get_restate_ids_and_still_resolve()
    {
        var directory = Directory.CreateTempSubdirectory("keel-admin-upgrade-").FullName;
        try
        {
            // What an earlier Keel wrote: no revisions per deployment, ids without the scheme version.
            var oldId = "dp_" + Keel.Protocol.Ids.Base62.Encode(((UInt128)1_764_000_000_000UL << 80) | 12345, 22);
            File.WriteAllText(Path.Combine(directory, "schema.json"), """
                {"Deployments":[{"Id":"OLD","Uri":"http://127.0.0.1:9080/","Mode":0,"HttpVersion":0,"MinProtocolVersion":5,"MaxProtocolVersion":6,
                  "AdditionalHeaders":{},"SdkVersion":null,"CreatedAt":"2025-11-24T16:00:00+00:00"}],
                 "Services":{"Greeter":{"Name":"Greeter","Type":0,"DeploymentId":"OLD","Revision":1,
                  "Handlers":{"greet":{"Name":"greet","Kind":2}}}}}
                """.Replace("OLD", oldId, StringComparison.Ordinal));

            var schema = new SchemaRegistry(directory);

            var id = schema.Deployments.Single().Id;
            Assert.True(DeploymentIds.TryParse(id, out var ulid));
            Assert.Equal(1_764_000_000_000UL, (ulong)(ulid >> 80));
            Assert.True(schema.TryGetService("Greeter", out var greeter));
            Assert.Equal((id, 1), (greeter.DeploymentId, greeter.Revision));
            Assert.True(schema.TryGetDeployment(oldId, out var pinned));
            Assert.Equal(id, pinned.Id);
            Assert.Equal("Greeter", schema.ServicesOf(id).Single().Name);

            var reloaded = new SchemaRegistry(directory);
            Assert.Equal(id, reloaded.Deployments.Single().Id);
            Assert.True(reloaded.TryGetDeployment(oldId, out _));
            Assert.True(reloaded.RemoveDeployment(oldId));
            Assert.Empty(reloaded.Deployments);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
