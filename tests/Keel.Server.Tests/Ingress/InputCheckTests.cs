using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Tests.Admin;

namespace Keel.Server.Tests.Ingress;

/// <summary>
/// The ingress checks a request against the handler's manifest input before anything is submitted:
/// a refused request gets a 400 in the ingress error format and the runtime never sees it.
/// </summary>
public class InputCheckTests
{
    private static HandlerManifest Handler(string name, InputPayload? input, HandlerType? ty = null) => new() { Name = name, Ty = ty, Input = input };

    private static readonly InputPayload Json = new() { Required = false, ContentType = "application/json" };

    private static async Task<AdminHost> StartAsync()
    {
        var host = await AdminHost.StartAsync();
        var manifest = Manifests.Of(
            new ServiceManifest
            {
                Name = "In",
                Ty = ServiceType.Service,
                Handlers =
                [
                    Handler("none", new InputPayload()),
                    Handler("required", Json with { Required = true }),
                    Handler("optional", Json),
                    Handler("schema", Json with { JsonSchema = JsonDocument.Parse("""{"type":"number"}""").RootElement }),
                    Handler("bytes", new InputPayload { Required = false, ContentType = "application/octet-stream" }),
                    Handler("anyText", new InputPayload { ContentType = "text/*" }),
                    Handler("undeclared", null),
                ],
            },
            new ServiceManifest { Name = "Obj", Ty = ServiceType.VirtualObject, Handlers = [Handler("set", Json with { Required = true }), Handler("reset", new InputPayload())] });
        var deployment = new DeploymentInfo(DeploymentIds.New(DateTimeOffset.UtcNow), new Uri("http://127.0.0.1:1/"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), null, DateTimeOffset.UtcNow);
        host.Schema.Register(deployment, SchemaRegistry.ServicesFromManifest(manifest), overwrite: false, allowBreaking: false, dryRun: false);
        return host;
    }

    /// <summary>Posts <paramref name="body"/> ("" for none) with <paramref name="contentType"/> (null for no header).</summary>
    private static async Task<(HttpStatusCode Status, JsonNode? Error)> PostAsync(AdminHost host, string path, string? contentType, string body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("idempotency-key", idempotencyKey);
        }

        using var response = await host.Ingress.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode || text.Length == 0 ? null : JsonNode.Parse(text));
    }

    [Theory]
    [InlineData("/In/required", null, "", "In/required requires an input (application/json), but the request has no body.")]
    [InlineData("/In/required", "application/json", "", "In/required requires an input (application/json), but the request has no body.")]
    [InlineData("/In/required/send", "application/json", "", "In/required requires an input (application/json), but the request has no body.")]
    [InlineData("/Obj/k/set", null, "", "Obj/set requires an input (application/json)")]
    [InlineData("/In/none", "application/json", "5", "In/none takes no input, but the request has a body")]
    [InlineData("/In/none/send", null, "5", "In/none takes no input, but the request has a body")]
    [InlineData("/In/none", "application/json", "", "In/none takes no input, but the request has a content-type ('application/json')")]
    [InlineData("/Obj/k/reset/send", "application/json", "{}", "Obj/reset takes no input")]
    [InlineData("/In/required", "application/json", "{\"a\": tru", "In/required got malformed JSON at line 1, position 10: ")]
    [InlineData("/In/optional/send", "application/json", "[1,\n 2,,]", "In/optional got malformed JSON at line 2, position 4: ")]
    [InlineData("/In/optional", "application/json", "5 6", "In/optional got malformed JSON at line 1, position 3: ")]
    [InlineData("/In/optional", "application/json", "  ", "In/optional got malformed JSON at line 1, position 3: The input does not contain any JSON tokens.")]
    [InlineData("/Obj/k/set", "application/json", "'single'", "Obj/set got malformed JSON at line 1, position 1: ")]
    [InlineData("/In/optional", "text/plain", "5", "In/optional takes 'application/json', but the request's content-type is 'text/plain'.")]
    [InlineData("/In/optional", "application/x-www-form-urlencoded", "5", "In/optional takes 'application/json', but the request's content-type is 'application/x-www-form-urlencoded'.")]
    [InlineData("/In/bytes/send", "application/json", "5", "In/bytes takes 'application/octet-stream', but the request's content-type is 'application/json'.")]
    [InlineData("/In/anyText", "application/json", "5", "In/anyText takes 'text/*'")]
    [InlineData("/In/optional", null, "5", "In/optional got a body without a content-type header; it takes 'application/json'.")]
    [InlineData("/In/undeclared", null, "5", "In/undeclared got a body without a content-type header.")]
    [InlineData("/In/schema", "application/json", "", "In/schema got a content-type but an empty body")]
    public async Task A_request_the_handler_cannot_take_is_a_400_and_nothing_is_submitted(string path, string? contentType, string body, string message)
    {
        await using var host = await StartAsync();

        var (status, error) = await PostAsync(host, path, contentType, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(message, (string)error!["message"]!, StringComparison.Ordinal);
        Assert.Equal((400, "ingress"), ((int)error["code"]!, (string)error["source"]!));
        Assert.Empty(host.Runtime.Submitted);
    }

    [Fact]
    public async Task An_idempotent_request_with_a_bad_body_is_refused_and_leaves_the_key_unused()
    {
        await using var host = await StartAsync();

        var (refused, _) = await PostAsync(host, "/Obj/k/set", "application/json", "{oops", idempotencyKey: "once");
        var (accepted, _) = await PostAsync(host, "/Obj/k/set", "application/json", "1", idempotencyKey: "once");

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.OK), (refused, accepted));
        Assert.Equal("1", Encoding.UTF8.GetString(host.Runtime.Submitted.Single().Body.Span));
    }

    [Theory]
    [InlineData("/In/none", null, "")]
    [InlineData("/Obj/k/reset/send", null, "")]
    [InlineData("/In/required", "application/json", "\"x\"")]
    [InlineData("/In/required", "application/json; charset=utf-8", "{\"a\": [1, {\"b\": null}]}")]
    [InlineData("/In/required", "APPLICATION/JSON", "5")]
    [InlineData("/In/optional", null, "")]
    [InlineData("/In/optional", "application/json", "")]
    [InlineData("/In/schema", "application/json", "\"not a number: schemas are not checked\"")]
    [InlineData("/In/bytes/send", "application/octet-stream", "{not json")]
    [InlineData("/In/bytes", null, "")]
    [InlineData("/In/anyText", "text/csv", "a,b")]
    [InlineData("/In/undeclared", "application/x-anything", "whatever")]
    [InlineData("/In/undeclared", null, "")]
    public async Task A_request_that_fits_the_manifest_is_submitted_with_its_body(string path, string? contentType, string body)
    {
        await using var host = await StartAsync();

        var (status, _) = await PostAsync(host, path, contentType, body);

        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{path} answered {status}");
        Assert.Equal(body, Encoding.UTF8.GetString(host.Runtime.Submitted.Single().Body.Span));
    }
}
