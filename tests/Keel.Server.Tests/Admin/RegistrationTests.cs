using System.Net;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Keel.Server.Tests.Admin;

public class RegistrationTests
{
    private static string Id(JsonNode answer) => (string)answer["id"]!;

    private static JsonNode Service(JsonNode answer, string name) => answer["services"]!.AsArray().Single(s => (string)s!["name"]! == name)!;

    [Fact]
    public async Task A_new_deployment_is_created_with_a_restate_id_and_a_location()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));

        var (status, answer, response) = await host.SendAsync(HttpMethod.Post, "/deployments", new { uri = endpoint.Uri.ToString() });

        Assert.Equal(HttpStatusCode.Created, status);
        var id = Id(answer!);
        Assert.True(DeploymentIds.TryParse(id, out _), id);
        Assert.Equal(26, id.Length);
        Assert.Equal($"deployments/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal((id, 1, 5, 6, "keel-test-endpoint/1.0"),
            ((string)Service(answer!, "Counter")["deployment_id"]!, (int)Service(answer!, "Counter")["revision"]!,
             (int)answer!["min_protocol_version"]!, (int)answer["max_protocol_version"]!, (string)answer["sdk_version"]!));
    }

    [Fact]
    public async Task The_same_address_again_without_force_is_kept_unchanged_without_asking_the_endpoint()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        var first = await host.RegisterAsync(endpoint.Uri);
        endpoint.Manifest = Manifests.Of(Manifests.Counter(addKind: HandlerType.Shared), Manifests.Greeter("greet", "wave"));

        var unchanged = await host.RegisterAsync(endpoint.Uri, new { additional_headers = new { authorization = "Bearer x" } }, HttpStatusCode.OK);
        var dryRun = await host.RegisterAsync(endpoint.Uri, new { dry_run = true, breaking = true }, HttpStatusCode.OK);

        Assert.Equal(1, endpoint.Requests);
        Assert.Equal(Id(first), Id(unchanged));
        Assert.Equal(Id(first), Id(dryRun));
        Assert.Equal(first["services"]!.Text(), unchanged["services"]!.Text());
        var counter = await host.GetAsync("/services/Counter");
        Assert.Equal(("Exclusive", 1), ((string)counter["handlers"]![0]!["ty"]!, (int)counter["revision"]!));
        Assert.Equal(["greet"], (await host.GetAsync("/services/Greeter"))["handlers"]!.AsArray().Select(h => (string)h!["name"]!));
        Assert.Null((await host.GetAsync($"/deployments/{Id(first)}"))["additional_headers"]);
    }

    [Fact]
    public async Task Force_overwrites_in_place_keeping_the_id_and_taking_every_change_of_the_endpoint()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter("greet", "wave")), HttpProtocols.Http1AndHttp2);
        var first = await host.RegisterAsync(endpoint.Uri, new { use_http_11 = true });
        endpoint.Manifest = Manifests.Of(Manifests.Counter(addKind: HandlerType.Shared), Manifests.Greeter("greet", "hug")) with { ProtocolMode = ProtocolMode.RequestResponse, MaxProtocolVersion = 5 };

        var forced = await host.RegisterAsync(endpoint.Uri, new { force = true, use_http_11 = true, additional_headers = new { authorization = "Bearer x" } }, HttpStatusCode.OK);

        Assert.Equal(Id(first), Id(forced));
        var counter = await host.GetAsync("/services/Counter");
        Assert.Equal(("Shared", 2, Id(first)), ((string)counter["handlers"]![0]!["ty"]!, (int)counter["revision"]!, (string)counter["deployment_id"]!));
        Assert.Equal(["greet", "hug"], (await host.GetAsync("/services/Greeter"))["handlers"]!.AsArray().Select(h => (string)h!["name"]!));
        var deployment = await host.GetAsync($"/deployments/{Id(first)}");
        Assert.Equal(("RequestResponse", "HTTP/1.1", 5, "Bearer x"),
            ((string)deployment["protocol_type"]!, (string)deployment["http_version"]!, (int)deployment["max_protocol_version"]!, (string)deployment["additional_headers"]!["authorization"]!));
        Assert.True(host.Schema.TryGetHandler("Counter", "add", out _, out var add));
        Assert.Equal(HandlerType.Shared, add.Kind);
        Assert.Single((await host.GetAsync("/deployments"))["deployments"]!.AsArray());
    }

    [Fact]
    public async Task A_service_dropped_by_a_forced_registration_disappears()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        await host.RegisterAsync(endpoint.Uri);
        endpoint.Manifest = Manifests.Of(Manifests.Counter());

        await host.RegisterAsync(endpoint.Uri, new { force = true }, HttpStatusCode.OK);

        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "/services/Greeter")).Status);
        Assert.False(host.Schema.TryGetService("Greeter", out _));
    }

    [Fact]
    public async Task A_dry_run_answers_as_a_registration_would_and_changes_nothing()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));

        var created = await host.RegisterAsync(endpoint.Uri, new { dry_run = true });

        Assert.Equal(1, (int)Service(created, "Counter")["revision"]!);
        Assert.Empty((await host.GetAsync("/deployments"))["deployments"]!.AsArray());
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, $"/deployments/{Id(created)}")).Status);

        var registered = await host.RegisterAsync(endpoint.Uri);
        endpoint.Manifest = Manifests.Of(Manifests.Counter(addKind: HandlerType.Shared));
        var forcedDryRun = await host.RegisterAsync(endpoint.Uri, new { dry_run = true, force = true }, HttpStatusCode.OK);

        Assert.Equal(Id(registered), Id(forcedDryRun));
        Assert.Equal(("Shared", 2), ((string)Service(forcedDryRun, "Counter")["handlers"]![0]!["ty"]!, (int)Service(forcedDryRun, "Counter")["revision"]!));
        var counter = await host.GetAsync("/services/Counter");
        Assert.Equal(("Exclusive", 1), ((string)counter["handlers"]![0]!["ty"]!, (int)counter["revision"]!));
    }

    [Fact]
    public async Task Another_address_with_the_same_services_is_a_new_deployment_with_the_next_revisions()
    {
        await using var host = await AdminHost.StartAsync();
        await using var v1 = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter()));
        await using var v2 = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(addKind: HandlerType.Shared)));
        var first = await host.RegisterAsync(v1.Uri);

        var second = await host.RegisterAsync(v2.Uri);

        Assert.NotEqual(Id(first), Id(second));
        Assert.Equal((Id(second), 2), ((string)(await host.GetAsync("/services/Counter"))["deployment_id"]!, (int)(await host.GetAsync("/services/Counter"))["revision"]!));
        Assert.Equal(Id(first), (string)(await host.GetAsync("/services/Greeter"))["deployment_id"]!);
        var deployments = (await host.GetAsync("/deployments"))["deployments"]!.AsArray();
        var old = deployments.Single(d => (string)d!["id"]! == Id(first))!;
        Assert.Equal("""[{"name":"Counter","revision":1},{"name":"Greeter","revision":1}]""", old["services"]!.Text());
        var detailed = await host.GetAsync($"/deployments/{Id(first)}");
        Assert.Equal("Exclusive", (string)detailed["services"]![0]!["handlers"]![0]!["ty"]!);
    }

    [Fact]
    public async Task A_changed_service_type_is_a_409_breaking_change_unless_breaking_or_force_is_given()
    {
        await using var host = await AdminHost.StartAsync();
        await using var v1 = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));
        await using var v2 = await ManifestEndpoint.StartAsync(Manifests.Of(new ServiceManifest { Name = "Counter", Ty = ServiceType.Service, Handlers = [Manifests.Handler("add")] }));
        await host.RegisterAsync(v1.Uri);

        var (status, answer, _) = await host.SendAsync(HttpMethod.Post, "/deployments", new { uri = v2.Uri.ToString() });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("META0006", (string)answer!["restate_code"]!);
        Assert.Contains("would change its type from VirtualObject to Service", (string)answer["message"]!, StringComparison.Ordinal);
        Assert.Single((await host.GetAsync("/deployments"))["deployments"]!.AsArray());

        var accepted = await host.RegisterAsync(v2.Uri, new { breaking = true });
        Assert.Equal(("Service", 2), ((string)Service(accepted, "Counter")["ty"]!, (int)Service(accepted, "Counter")["revision"]!));
    }

    [Fact]
    public async Task A_new_revision_starts_from_its_manifest_so_operator_overrides_are_reset_but_an_unchanged_registration_keeps_them()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));
        await host.RegisterAsync(endpoint.Uri);
        await host.SendAsync(HttpMethod.Patch, "/services/Counter", new { idempotency_retention = "3d", @public = false });

        await host.RegisterAsync(endpoint.Uri, expected: HttpStatusCode.OK);
        var kept = await host.GetAsync("/services/Counter");
        await host.RegisterAsync(endpoint.Uri, new { force = true }, HttpStatusCode.OK);
        var reset = await host.GetAsync("/services/Counter");

        Assert.Equal(("3d", false, 1), ((string)kept["idempotency_retention"]!, (bool)kept["public"]!, (int)kept["revision"]!));
        Assert.Equal(("1d", true, 2), ((string)reset["idempotency_retention"]!, (bool)reset["public"]!, (int)reset["revision"]!));
        Assert.True(new SchemaRegistry(host.DataDirectory).TryGetService("Counter", out var stored));
        Assert.Equal((true, null), (stored.Public, stored.IdempotencyRetention));
    }

    [Fact]
    public async Task Admin_api_v2_forces_by_default_and_answers_an_unchanged_registration_with_409()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));
        await host.RegisterAsync(endpoint.Uri);

        var (overwritten, _, _) = await host.SendAsync(HttpMethod.Post, "/v2/deployments", new { uri = endpoint.Uri.ToString() });
        var (unchanged, answer, _) = await host.SendAsync(HttpMethod.Post, "/v2/deployments", new { uri = endpoint.Uri.ToString(), force = false });

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Conflict), (overwritten, unchanged));
        Assert.Contains("already exists", (string)answer!["message"]!, StringComparison.Ordinal);
        Assert.Equal(2, (int)(await host.GetAsync("/services/Counter"))["revision"]!);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{"uri":"not a uri"}""", "'uri' is invalid" },
        { """{"uri":"ftp://host/x"}""", "'uri' is invalid" },
        { "{}", "'uri' is invalid" },
        { """{"arn":"arn:aws:lambda:eu-central-1:1:function:f"}""", "Lambda deployments" },
        { """{"uri":"http://127.0.0.1:1/","use_http_11":"yes"}""", "'use_http_11' is invalid" },
        { """{"uri":"http://127.0.0.1:1/","additional_headers":{"bad header":"x"}}""", "not a valid header name" },
        { "nope", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_registrations_are_400_with_a_message(string body, string message)
    {
        await using var host = await AdminHost.StartAsync();

        var (status, answer, _) = await host.SendAsync(HttpMethod.Post, "/deployments", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(message, (string)answer!["message"]!, StringComparison.Ordinal);
    }
}
