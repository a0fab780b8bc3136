using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Keel.Fuzzing;
using Keel.Protocol.Ids;
using Keel.Server.Tests.Admin;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// The admin API's bodies and parameters: deployment registration (its fields given values of every JSON type,
/// URIs that are not endpoints), service changes (durations and flags of every shape), invocation controls on
/// ids real and not, state replacement, deployment deletion. Each is answered with a 2xx or a 4xx with a
/// message — never a 5xx — and the server stays whole. The fuzz deployments' own services are left alone
/// (a legitimate change, e.g. making Greeter private, would fail the plain call that checks the server):
/// registrations go to a spare endpoint, service changes to services no other fuzz test calls.
/// </summary>
[Collection(FuzzServerCollection.Name)]
public sealed class AdminBodyFuzzTests(FuzzServer server) : IAsyncLifetime
{
    private static readonly string[] DurationLike = ["1h", "0s", "-1s", "1 hour", "PT1H", "P1D", "99999999999d", "1e9h", "10675199d", "5m 3s", "", "h", "1", "0"];

    private ManifestEndpoint _spare = null!;

    public async Task InitializeAsync() => _spare = await ManifestEndpoint.StartAsync(Manifests.Of(new Keel.Protocol.Manifest.ServiceManifest
    {
        Name = "Spare",
        Ty = Keel.Protocol.Manifest.ServiceType.VirtualObject,
        Handlers = [Manifests.Handler("run")],
    }));

    public async Task DisposeAsync() => await _spare.DisposeAsync();

    [Fact]
    public async Task Any_admin_request_is_answered_with_a_2xx_or_a_4xx_message()
    {
        await Gen.UInt.Array[1, 120].SampleAsync(async values =>
        {
            var c = new FuzzChoices(values);
            using var request = Request(c);
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync();
            var shown = $"{request.Method} {request.RequestUri} {(body.Length > 500 ? body[..500] : body)}";
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var response = await server.Admin.SendAsync(request, deadline.Token);
            var text = await response.Content.ReadAsStringAsync(deadline.Token);
            // A registration whose endpoint cannot be discovered is a 500 naming the reason and a META code, as Restate answers it.
            var discoveryFailed = (int)response.StatusCode == 500 && text.Contains("\"restate_code\":\"META", StringComparison.Ordinal);
            Assert.True((int)response.StatusCode < 500 || discoveryFailed, $"{shown}: {(int)response.StatusCode} {text}");
            if (!discoveryFailed)
            {
                await FuzzServer.AssertAnsweredAsync(response, shown);
            }

            await server.AssertHealthyAsync(shown);
        }, iter: FuzzIterations.Count(120), threads: 1);
    }

    private HttpRequestMessage Request(FuzzChoices c)
    {
        var prefix = c.Pick<string>(["", "", "/v2", "/v3", "/v4", "/v1"]);
        switch (c.Below(6))
        {
            case 0:
                return Json(HttpMethod.Post, prefix + "/deployments", Mutate(c, new JsonObject
                {
                    ["uri"] = c.Below(4) switch { 0 => _spare.Uri.ToString(), 1 => "http://127.0.0.1:1/", 2 => "ftp://x/", _ => c.Text(FuzzFrames.Strings) },
                    ["force"] = c.Chance(50),
                    ["dry_run"] = c.Chance(30),
                    ["use_http_11"] = c.Chance(10),
                    ["additional_headers"] = new JsonObject { [c.Text(FuzzFrames.Strings)] = c.Text(FuzzFrames.Strings) },
                }));
            case 1:
                var service = c.Pick<string>(["Spare", "Scratch", "Counter", "Signup", "NoSuchService", c.Text(FuzzFrames.Strings)]);
                var changes = new JsonObject();
                foreach (var field in (string[])["public", "idempotency_retention", "workflow_completion_retention", "journal_retention", "inactivity_timeout", "abort_timeout", "deadlock"])
                {
                    if (c.Chance(30))
                    {
                        changes[field] = field == "public" ? c.Chance(50) : field == "deadlock" ? c.Pick<string>(["report", "fail", "off", ""]) : c.Pick(DurationLike);
                    }
                }

                return Json(HttpMethod.Patch, $"{prefix}/services/{Uri.EscapeDataString(service)}", Mutate(c, changes));
            case 2:
                var id = c.Chance(70) ? InvocationId.New(c.Next()).ToString() : Uri.EscapeDataString(c.Text(FuzzFrames.Strings));
                var action = c.Pick<string>(["cancel", "kill", "purge", "purge-journal", "pause", "resume", "restart-as-new", "explode"]);
                var deployment = c.Chance(70) ? "" : "?deployment=" + Uri.EscapeDataString(c.Pick<string>(["keep", "latest", "dp_x", "dp_", "x"]));
                return c.Chance(70)
                    ? new HttpRequestMessage(HttpMethod.Patch, $"{prefix}/invocations/{id}/{action}{deployment}")
                    : new HttpRequestMessage(HttpMethod.Delete, $"{prefix}/invocations/{id}?mode={Uri.EscapeDataString(action)}");
            case 3:
                var state = new JsonObject { ["object_key"] = c.Text(FuzzFrames.Strings), ["new_state"] = new JsonObject { ["s"] = new JsonArray(1, 2, 255) } };
                if (c.Chance(30))
                {
                    state["version"] = c.Text(FuzzFrames.Strings);
                }

                return Json(HttpMethod.Post, $"{prefix}/services/{c.Pick<string>(["Spare", "Scratch", "Greeter", "Nope"])}/state", Mutate(c, state));
            case 4:
                return new HttpRequestMessage(HttpMethod.Delete, $"{prefix}/deployments/{Uri.EscapeDataString(c.Chance(50) ? "dp_" + c.Text(FuzzFrames.Strings) : c.Text(FuzzFrames.Strings))}?force={c.Pick<string>(["true", "false", "yes", ""])}");
            default:
                return new HttpRequestMessage(HttpMethod.Get, $"{prefix}/{c.Pick<string>(["services", "deployments", "health", "version", "deadlocks", "openapi", "services/Spare/handlers/run", "services/x/handlers"])}");
        }
    }

    /// <summary>Now and then replaces a field's value with one of another JSON type, drops the body's object, or breaks its syntax.</summary>
    private static string Mutate(FuzzChoices c, JsonObject body)
    {
        foreach (var name in body.Select(p => p.Key).ToList())
        {
            if (c.Chance(15))
            {
                body[name] = c.Below(6) switch
                {
                    0 => null,
                    1 => JsonValue.Create(c.Next()),
                    2 => JsonValue.Create(-1.5e300),
                    3 => new JsonArray(JsonValue.Create(c.Text(FuzzFrames.Strings))),
                    4 => new JsonObject { ["x"] = new JsonObject() },
                    _ => JsonValue.Create(c.Text(FuzzFrames.Strings)),
                };
            }
        }

        var text = body.ToJsonString();
        return c.Below(12) switch
        {
            0 => "",
            1 => "[]",
            2 => text[..c.Below(text.Length)],
            3 => "\"" + text + "\"",
            _ => text,
        };
    }

    private static HttpRequestMessage Json(HttpMethod method, string path, string body) =>
        new(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
