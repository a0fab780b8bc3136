using System.Net;
using System.Text;
using Keel.TestSupport;

namespace Keel.Sdk.Interop.Tests;

/// <summary>
/// Inputs a handler cannot take. Counter/add takes a required number (manifest: required, JSON, schema
/// {}), Counter/get takes nothing (manifest: {}). Both servers refuse what the manifest rules out before
/// an invocation exists; what only the SDK can see (malformed JSON on restate-server, a value of the
/// wrong kind on either) fails the invocation with a 400 in JSON terms.
/// </summary>
public abstract partial class InteropScenarios<TSetup>
{
    private bool OnRestate => Setup.Server is RestateServerProcess;

    [Fact]
    public async Task Inputs_the_handler_cannot_take_are_400s_and_only_the_SDK_refusals_leave_an_invocation()
    {
        var key = NewKey();
        var add = $"/Counter/{key}/add";
        async Task<IngressResponse> Post(string path, string? body, string contentType = "application/json") =>
            await Ingress.PostAsync(path, body is null ? null : Encoding.UTF8.GetBytes(body), contentType);

        // Refused from the manifest by both servers: nothing is created.
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(add, null)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(add, "")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post($"/Counter/{key}/get", "5")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(add, "5", "text/plain")).Status);

        // Malformed JSON: the Keel server refuses it at the ingress; restate-server passes it on and the SDK refuses it.
        var malformed = await Post(add, "{\"a\": tru");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.Status);
        Assert.Contains("malformed JSON at line 1, position 10: ", malformed.Body, StringComparison.Ordinal);
        var malformedSend = await Post(add + "/send", "[1,,]");
        Assert.Equal(OnRestate ? HttpStatusCode.Accepted : HttpStatusCode.BadRequest, malformedSend.Status);

        // Well-formed JSON of the wrong kind: no server checks types, the SDK names the kinds.
        var wrongKind = await Post(add, "\"five\"");
        Assert.Equal(HttpStatusCode.BadRequest, wrongKind.Status);
        Assert.Contains("expected a JSON number, got a string", wrongKind.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Int64", wrongKind.Body, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await Post(add, "1")).Status);

        // The accepted call plus what reached the SDK: on restate-server the malformed call and send too.
        var expected = OnRestate ? 4 : 2;
        var rows = Array.Empty<System.Text.Json.JsonElement>();
        await Eventually.UntilAsync(async () => (rows = await Setup.Admin.QueryAsync($"SELECT id FROM sys_invocation WHERE target_service_key = '{key}'")).Length >= expected,
            Patience, $"{expected} invocations of Counter/{key}");
        Assert.Equal(expected, rows.Length);
    }
}
