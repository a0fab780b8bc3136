using System.Net;
using System.Text.Json.Nodes;
using Keel.Server.Admin;
using Keel.Server.Contracts;

namespace Keel.Server.Tests.Admin;

public class ModifyServiceTests
{
    /// <summary>The body the restate CLI sends: all six members, null for those not changed.</summary>
    private static string Body(bool? isPublic = null, string? idempotency = null, string? workflow = null, string? journal = null, string? inactivity = null, string? abort = null) =>
        new JsonObject
        {
            ["public"] = isPublic,
            ["idempotency_retention"] = idempotency,
            ["workflow_completion_retention"] = workflow,
            ["journal_retention"] = journal,
            ["inactivity_timeout"] = inactivity,
            ["abort_timeout"] = abort,
        }.Text();

    private static async Task<(AdminHost Host, ManifestEndpoint Endpoint)> StartAsync()
    {
        var host = await AdminHost.StartAsync();
        var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Counter(), Manifests.Signup()));
        await host.RegisterAsync(endpoint.Uri);
        return (host, endpoint);
    }

    [Fact]
    public async Task Patch_changes_the_settings_the_runtime_reads_answers_the_new_metadata_and_survives_a_restart()
    {
        var (host, endpoint) = await StartAsync();
        await using var _ = host;
        await using var __ = endpoint;

        var (status, body, _) = await host.SendAsync(HttpMethod.Patch, "/v4/services/Signup",
            Body(isPublic: false, idempotency: "36h 4m 2s", workflow: "P30D", journal: "PT10S", inactivity: "2days", abort: "0"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(
            (false, "1d 12h 4m 2s", "30d", "10s", "2d", "0s"),
            ((bool)body!["public"]!, (string)body["idempotency_retention"]!, (string)body["workflow_completion_retention"]!,
             (string)body["journal_retention"]!, (string)body["inactivity_timeout"]!, (string)body["abort_timeout"]!));
        Assert.All(body["handlers"]!.AsArray(), h => Assert.False((bool)h!["public"]!));
        Assert.Equal(body.Text(), (await host.GetAsync("/services/Signup")).Text());

        // The runtime reads the schema through ISchemaView: it sees the operator's values...
        Assert.True(host.Schema.TryGetService("Signup", out var live));
        Assert.Equal(
            (false, TimeSpan.FromHours(36) + TimeSpan.FromSeconds(242), TimeSpan.FromDays(30), TimeSpan.FromSeconds(10), TimeSpan.FromDays(2), TimeSpan.Zero),
            (live.Public, live.IdempotencyRetention, live.WorkflowCompletionRetention, live.JournalRetention, live.InactivityTimeout, live.AbortTimeout));

        // ...and so does a server restarted on the same data directory.
        Assert.True(new SchemaRegistry(host.DataDirectory).TryGetService("Signup", out var reloaded));
        Assert.Equal(live, reloaded with { Handlers = live.Handlers });
        Assert.Equal(live.Handlers.Keys, reloaded.Handlers.Keys);
    }

    [Fact]
    public async Task Only_the_given_members_change()
    {
        var (host, endpoint) = await StartAsync();
        await using var _ = host;
        await using var __ = endpoint;

        var (status, body, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", Body(idempotency: "2d"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("2d", true, "1m", "10m"),
            ((string)body!["idempotency_retention"]!, (bool)body["public"]!, (string)body["inactivity_timeout"]!, (string)body["abort_timeout"]!));
    }

    [Fact]
    public async Task All_null_answers_the_metadata_unchanged()
    {
        var (host, endpoint) = await StartAsync();
        await using var _ = host;
        await using var __ = endpoint;
        var before = (await host.GetAsync("/services/Counter")).Text();
        var file = await File.ReadAllTextAsync(Path.Combine(host.DataDirectory, "schema.json"));

        var (status, body, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", Body());
        var (emptyStatus, emptyBody, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", "{}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (status, emptyStatus));
        Assert.Equal(before, body!.Text());
        Assert.Equal(before, emptyBody!.Text());
        Assert.Equal(file, await File.ReadAllTextAsync(Path.Combine(host.DataDirectory, "schema.json")));
    }

    public static TheoryData<string, string, HttpStatusCode, string> Refused => new()
    {
        { "Nope", Body(idempotency: "1d"), HttpStatusCode.NotFound, "The requested service 'Nope' does not exist" },
        { "Nope", Body(), HttpStatusCode.NotFound, "The requested service 'Nope' does not exist" },
        { "Counter", Body(idempotency: "3d", workflow: "2d"), HttpStatusCode.BadRequest, "modifying retention time for service type VirtualObject is unsupported" },
        { "Counter", Body(isPublic: false, abort: "soon"), HttpStatusCode.BadRequest, "'abort_timeout' is invalid: 'soon' is not a valid duration" },
        { "Counter", Body(idempotency: "1 month"), HttpStatusCode.BadRequest, "months and years are not supported" },
        { "Counter", Body(journal: "P1Y"), HttpStatusCode.BadRequest, "'journal_retention' is invalid" },
        { "Counter", Body(inactivity: "-5s"), HttpStatusCode.BadRequest, "cannot be negative" },
        { "Counter", """{"idempotency_retention":5}""", HttpStatusCode.BadRequest, "expected a duration string" },
        { "Counter", """{"public":"yes"}""", HttpStatusCode.BadRequest, "'public' is invalid" },
        { "Counter", """{"deadlock":"abort"}""", HttpStatusCode.BadRequest, "'deadlock' is invalid: expected \"report\", \"fail\"" },
        { "Counter", """{"deadlock":"FAIL"}""", HttpStatusCode.BadRequest, "'deadlock' is invalid" },
        { "Counter", """{"deadlock":true}""", HttpStatusCode.BadRequest, "'deadlock' is invalid" },
        { "Counter", "not json", HttpStatusCode.BadRequest, "not valid JSON" },
        { "Counter", "[]", HttpStatusCode.BadRequest, "must be a JSON object" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Refused_changes_answer_json_errors_and_change_nothing(string service, string body, HttpStatusCode expected, string message)
    {
        var (host, endpoint) = await StartAsync();
        await using var _ = host;
        await using var __ = endpoint;
        var before = (await host.GetAsync("/services/Counter")).Text();

        var (status, answer, _) = await host.SendAsync(HttpMethod.Patch, $"/services/{service}", body);

        Assert.Equal(expected, status);
        Assert.Contains(message, (string)answer!["message"]!, StringComparison.Ordinal);
        Assert.True(answer.AsObject().ContainsKey("restate_code"));
        Assert.Equal(before, (await host.GetAsync("/services/Counter")).Text());
        Assert.True(new SchemaRegistry(host.DataDirectory).TryGetService("Counter", out var stored));
        Assert.Equal((true, null, null, null), (stored.Public, stored.IdempotencyRetention, stored.AbortTimeout, stored.Deadlock));
    }

    [Fact]
    public async Task The_deadlock_policy_is_report_by_default_set_by_patch_read_by_the_runtime_and_kept()
    {
        var (host, endpoint) = await StartAsync();
        await using var _ = host;
        await using var __ = endpoint;
        Assert.Equal("report", (string)(await host.GetAsync("/services/Counter"))["deadlock"]!);

        var (status, body, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", """{"deadlock":"fail","idempotency_retention":null}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("fail", (string)body!["deadlock"]!);
        Assert.Equal("fail", (string)(await host.GetAsync("/services/Counter"))["deadlock"]!);
        Assert.Equal("report", (string)(await host.GetAsync("/services/Signup"))["deadlock"]!);
        Assert.True(host.Schema.TryGetService("Counter", out var live));
        Assert.Equal(DeadlockPolicy.Fail, live.Deadlock);
        Assert.True(new SchemaRegistry(host.DataDirectory).TryGetService("Counter", out var reloaded));
        Assert.Equal(DeadlockPolicy.Fail, reloaded.Deadlock);

        // Other changes keep it; "report" sets it back.
        var (_, other, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", Body(idempotency: "2d"));
        Assert.Equal("fail", (string)other!["deadlock"]!);
        var (_, back, _) = await host.SendAsync(HttpMethod.Patch, "/services/Counter", """{"deadlock":"report"}""");
        Assert.Equal("report", (string)back!["deadlock"]!);
    }
}
