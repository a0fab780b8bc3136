using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;

namespace Keel.Server.Tests.Admin;

public class ServiceMetadataTests
{
    /// <summary>A workflow that sets a bit of everything in its manifest (the same one Restate 1.7.12 was asked to register).</summary>
    private static ServiceManifest Fresh() => new()
    {
        Name = "Fresh",
        Ty = ServiceType.Workflow,
        Documentation = "doc of Fresh",
        Metadata = new Dictionary<string, string> { ["k"] = "v" },
        IdempotencyRetention = 7_200_000,
        InactivityTimeout = 90_000,
        RetryPolicyMaxAttempts = 3,
        RetryPolicyOnMaxAttempts = RetryPolicyOnMaxAttempts.Kill,
        Handlers =
        [
            new HandlerManifest
            {
                Name = "run", Ty = HandlerType.Workflow, WorkflowCompletionRetention = 259_200_000, Documentation = "runs", JournalRetention = 60_000,
                AbortTimeout = 1_000, EnableLazyState = true, RetryPolicyInitialInterval = 250,
                Input = new InputPayload { ContentType = "text/plain", Required = true },
                Output = new OutputPayload { ContentType = "application/json", JsonSchema = JsonDocument.Parse("""{"type":"string"}""").RootElement },
            },
            new HandlerManifest
            {
                Name = "peek", Ty = HandlerType.Shared, IngressPrivate = true,
                Input = new InputPayload { Required = false, ContentType = "application/json", JsonSchema = JsonDocument.Parse("""{"type":"object"}""").RootElement },
            },
            new HandlerManifest { Name = "nothing", Input = new InputPayload(), Output = new OutputPayload() },
        ],
    };

    [Fact]
    public async Task Every_field_of_a_service_comes_from_its_manifest_else_from_the_server_defaults()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Fresh()));
        var id = (string)(await host.RegisterAsync(endpoint.Uri))["id"]!;

        var service = await host.GetAsync("/services/Fresh");

        // What Restate 1.7.12 answers for this manifest, member by member and in its order; then Keel's own "deadlock".
        var expected = $$$"""
            {"name":"Fresh","ty":"Workflow","handlers":[
            {"name":"run","ty":"Workflow","documentation":"runs","journal_retention":"1m","abort_timeout":"1s","enable_lazy_state":true,"public":true,
             "input_description":"text/plain","output_description":"JSON string","output_json_schema":{"type":"string"},"retry_policy":{"initial_interval":"250ms","max_attempts":null}},
            {"name":"peek","ty":"Shared","public":false,"input_description":"JSON object","output_description":"application/json","input_json_schema":{"type":"object"},"retry_policy":{"max_attempts":null}},
            {"name":"nothing","ty":"Shared","public":true,"input_description":"none","output_description":"none","retry_policy":{"max_attempts":null}}],
            "documentation":"doc of Fresh","metadata":{"k":"v"},"deployment_id":"{{{id}}}","revision":1,"public":true,"idempotency_retention":"2h",
            "workflow_completion_retention":"3d","journal_retention":"1d","inactivity_timeout":"1m 30s","abort_timeout":"10m","enable_lazy_state":false,
            "retry_policy":{"initial_interval":"500ms","exponentiation_factor":2.0,"max_attempts":3,"max_interval":"1m","on_max_attempts":"Kill"},
            "deadlock":"report"}
            """;
        Assert.Equal(JsonNode.Parse(expected)!.Text(), service.Text());
    }

    [Fact]
    public async Task A_plain_service_without_settings_reports_the_server_defaults_and_no_workflow_retention()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));
        await host.RegisterAsync(endpoint.Uri);

        var service = (await host.GetAsync("/services/Greeter")).AsObject();

        Assert.Equal("Service", (string)service["ty"]!);
        Assert.False(service.ContainsKey("workflow_completion_retention"));
        Assert.False(service.ContainsKey("documentation"));
        Assert.False(service.ContainsKey("metadata"));
        Assert.Equal(
            ("1d", "1d", "1m", "10m", false, true),
            ((string)service["idempotency_retention"]!, (string)service["journal_retention"]!, (string)service["inactivity_timeout"]!,
             (string)service["abort_timeout"]!, (bool)service["enable_lazy_state"]!, (bool)service["public"]!));
        Assert.Equal("""{"initial_interval":"500ms","exponentiation_factor":2.0,"max_attempts":70,"max_interval":"1m","on_max_attempts":"Pause"}""",
            service["retry_policy"]!.Text());
        var handler = service["handlers"]!.AsArray().Single()!.AsObject();
        Assert.False(handler.ContainsKey("ty"));
        Assert.Equal("""{"name":"greet","public":true,"input_description":"application/json","output_description":"application/json","retry_policy":{"max_attempts":null}}""",
            handler.Text());
    }

    [Fact]
    public async Task Defaults_follow_the_server_settings()
    {
        var options = new AdminOptions
        {
            Runtime = new RuntimeOptions { DataDirectory = "unused", CompletionRetention = TimeSpan.FromHours(12), RetryMaxAttempts = 0, DefaultJournalRetention = TimeSpan.Zero },
        };
        await using var host = await AdminHost.StartAsync(options: options);
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Signup()));
        await host.RegisterAsync(endpoint.Uri);

        var service = await host.GetAsync("/services/Signup");

        Assert.Equal(("12h", "12h"), ((string)service["idempotency_retention"]!, (string)service["workflow_completion_retention"]!));
        Assert.Null(service["retry_policy"]!["max_attempts"]);
        Assert.False(service.AsObject().ContainsKey("journal_retention"));
    }

    [Fact]
    public async Task Handlers_are_listed_and_shown_one_by_one_and_unknown_names_are_404_json()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter()));
        await host.RegisterAsync(endpoint.Uri);

        var handlers = (await host.GetAsync("/v4/services/Counter/handlers"))["handlers"]!.AsArray();
        var add = await host.GetAsync("/services/Counter/handlers/add");
        var unknownHandler = await host.SendAsync(HttpMethod.Get, "/services/Counter/handlers/nope");
        var unknownService = await host.SendAsync(HttpMethod.Get, "/services/Nope");
        var unknownServiceHandlers = await host.SendAsync(HttpMethod.Get, "/services/Nope/handlers");

        Assert.Equal(["add", "get"], handlers.Select(h => (string)h!["name"]!));
        Assert.Equal(("Exclusive", "Shared"), ((string)handlers[0]!["ty"]!, (string)handlers[1]!["ty"]!));
        Assert.Equal(handlers[0]!.Text(), add.Text());
        Assert.Equal(HttpStatusCode.NotFound, unknownHandler.Status);
        Assert.Equal("""{"message":"The requested handler 'nope' on service 'Counter' does not exist","restate_code":null}""", unknownHandler.Body!.Text());
        Assert.Equal(HttpStatusCode.NotFound, unknownService.Status);
        Assert.Equal("""{"message":"The requested service 'Nope' does not exist","restate_code":null}""", unknownService.Body!.Text());
        Assert.Equal(HttpStatusCode.NotFound, unknownServiceHandlers.Status);
    }

    [Fact]
    public async Task The_service_list_has_every_active_service_in_full()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Greeter(), Manifests.Signup()));
        await host.RegisterAsync(endpoint.Uri);

        var services = (await host.GetAsync("/services"))["services"]!.AsArray();

        Assert.Equal(["Counter", "Greeter", "Signup"], services.Select(s => (string)s!["name"]!));
        Assert.Equal((await host.GetAsync("/services/Signup")).Text(), services[2]!.Text());
    }

    [Fact]
    public async Task A_request_response_deployment_explains_what_its_inactivity_timeout_means()
    {
        await using var host = await AdminHost.StartAsync();
        var greeter = Manifests.Greeter() with { InactivityTimeout = 90_000 };
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(greeter) with { ProtocolMode = ProtocolMode.RequestResponse });
        await host.RegisterAsync(endpoint.Uri);

        var service = await host.GetAsync("/services/Greeter");

        Assert.Equal("1m 30s", (string)service["inactivity_timeout"]!);
        var info = service["info"]!.AsArray().Single()!;
        Assert.Equal("RT0021", (string)info["code"]!);
        Assert.Contains("request-response", (string)info["message"]!, StringComparison.Ordinal);
    }
}
