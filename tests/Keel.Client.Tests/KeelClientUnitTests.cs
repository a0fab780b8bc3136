using System.Net;
using System.Text;
using Keel.Sdk;

namespace Keel.Client.Tests;

/// <summary>Keel.Client without a server: paths, error mapping, request shape.</summary>
public sealed class KeelClientUnitTests
{
    [Fact]
    public void Paths_escape_keys_and_name_the_handler_last()
    {
        Assert.Equal("Counter/a%2Fb/add", KeelClient.TargetPath(Target.Object("Counter", "a/b", "add")));
        Assert.Equal("Greeter/greet", KeelClient.TargetPath(Target.Service("Greeter", "greet")));
        Assert.Equal("restate/invocation/Counter/k/add/ik", InvocationRef.ByIdempotencyKey(Target.Object("Counter", "k", "add"), "ik").ToString());
        Assert.Equal("restate/invocation/Greeter/greet/ik", InvocationRef.ByIdempotencyKey(Target.Service("Greeter", "greet"), "ik").ToString());
        Assert.Equal("restate/workflow/Signup/w1", InvocationRef.ByWorkflow("Signup", "w1").ToString());
        Assert.Equal("restate/invocation/inv_1abc", InvocationRef.ById("inv_1abc").ToString());
    }

    [Fact]
    public void Error_bodies_map_to_TerminalException()
    {
        var withCode = KeelClient.ToTerminal(HttpStatusCode.InternalServerError, """{"code":418,"message":"teapot"}""");
        Assert.Equal((418, "teapot"), (withCode.Code, withCode.Message));
        var withoutCode = KeelClient.ToTerminal(HttpStatusCode.NotFound, """{"message":"no such service"}""");
        Assert.Equal((404, "no such service"), (withoutCode.Code, withoutCode.Message));
        var plain = KeelClient.ToTerminal(HttpStatusCode.BadRequest, "bad input");
        Assert.Equal((400, "bad input"), (plain.Code, plain.Message));
    }

    [Fact]
    public async Task Requests_carry_the_idempotency_key_headers_delay_and_a_path_prefix()
    {
        var recorder = new Recorder();
        using var http = new HttpClient(recorder);
        var client = new KeelClient(http, new KeelClientOptions { IngressUrl = new Uri("http://ingress.test/keel") });
        await client.SendAsync(Target.Object("Counter", "k", "add"), new Greeting("A", Mood.Cheerful), TimeSpan.FromSeconds(1.5),
            new IngressCallOptions { IdempotencyKey = "ik-1", Headers = new Dictionary<string, string> { ["x-tenant"] = "t1" } });
        var request = Assert.Single(recorder.Requests);
        Assert.Equal("http://ingress.test/keel/Counter/k/add/send?delay=1500ms", request.Uri);
        Assert.Equal("ik-1", request.IdempotencyKey);
        Assert.Equal("t1", request.Tenant);
        Assert.Equal("""{"name":"A","mood":"Cheerful"}""", request.Body);
    }

    private sealed record Recorded(string Uri, string? IdempotencyKey, string? Tenant, string Body);

    private sealed class Recorder : HttpMessageHandler
    {
        public List<Recorded> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            Requests.Add(new Recorded(
                request.RequestUri!.ToString(),
                request.Headers.TryGetValues("idempotency-key", out var ik) ? ik.Single() : null,
                request.Headers.TryGetValues("x-tenant", out var t) ? t.Single() : null,
                body));
            return new HttpResponseMessage(HttpStatusCode.Accepted)
            {
                Content = new StringContent("""{"invocationId":"inv_1x","status":"Accepted"}""", Encoding.UTF8, "application/json"),
            };
        }
    }
}
