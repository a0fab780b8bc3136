using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Keel.Server.Tests.Admin;

public class DiscoveryErrorTests
{
    private static async Task<(HttpStatusCode Status, string Message, string? Code)> RegisterAsync(AdminHost host, Uri uri, bool http11 = false)
    {
        var (status, body, _) = await host.SendAsync(HttpMethod.Post, "/deployments", new JsonObject { ["uri"] = uri.ToString(), ["use_http_11"] = http11 }.Text());
        return (status, (string?)body?["message"] ?? string.Empty, (string?)body?["restate_code"]);
    }

    [Fact]
    public async Task An_http11_only_endpoint_is_told_to_listen_with_h2c_or_to_register_with_use_http_11()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()), HttpProtocols.Http1);

        var (status, message, code) = await RegisterAsync(host, endpoint.Uri);

        Assert.Equal((HttpStatusCode.InternalServerError, "META0014"), (status, code));
        Assert.Contains($"The deployment at {endpoint.Uri} answers only HTTP/1.1 on this port", message, StringComparison.Ordinal);
        Assert.Contains("Make its listener HTTP/2 (h2c), or register with use_http_11", message, StringComparison.Ordinal);
        Assert.Empty((await host.GetAsync("/deployments"))["deployments"]!.AsArray());

        var registered = await host.RegisterAsync(endpoint.Uri, new { use_http_11 = true });
        Assert.Equal("HTTP/1.1", (string)(await host.GetAsync($"/deployments/{registered["id"]}"))["http_version"]!);
    }

    [Fact]
    public async Task A_refused_connection_names_the_address_and_asks_whether_the_endpoint_runs()
    {
        await using var host = await AdminHost.StartAsync();
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var uri = new Uri($"http://127.0.0.1:{port}/");

        var (status, message, code) = await RegisterAsync(host, uri);

        Assert.Equal((HttpStatusCode.InternalServerError, "META0003"), (status, code));
        Assert.Equal($"Cannot reach the deployment at {uri}: the connection to 127.0.0.1:{port} was refused. Is the service endpoint running and listening on that address and port?", message);
    }

    [Fact]
    public async Task A_404_asks_whether_the_path_is_where_the_sdk_is_mounted()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));

        var (status, message, code) = await RegisterAsync(host, new Uri(endpoint.Uri, "services/"));

        Assert.Equal((HttpStatusCode.InternalServerError, "META0003"), (status, code));
        Assert.Contains("answered 404 Not Found: is '/services/' the path where the SDK endpoint is mounted?", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Something_that_is_not_a_manifest_is_named_as_such()
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));
        endpoint.ContentType = "text/html";
        endpoint.RawBody = "<html>hello</html>";

        var (status, message, code) = await RegisterAsync(host, endpoint.Uri);

        Assert.Equal((HttpStatusCode.InternalServerError, "META0013"), (status, code));
        Assert.Contains("answered with content type 'text/html', not an endpoint manifest", message, StringComparison.Ordinal);
        Assert.Contains("is this a Restate SDK endpoint", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"protocolMode\":", "is not valid")]
    [InlineData("""{"protocolMode":"BIDI_STREAM","minProtocolVersion":5,"maxProtocolVersion":6,"services":[{"ty":"SERVICE"}]}""", "is not valid")]
    [InlineData("""{"minProtocolVersion":5,"maxProtocolVersion":6,"services":[]}""", "without protocolMode")]
    public async Task A_malformed_manifest_says_what_is_wrong(string manifest, string message)
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of());
        endpoint.RawBody = manifest;

        var (status, text, _) = await RegisterAsync(host, endpoint.Uri);

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Contains(endpoint.Uri.ToString(), text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, 2, "speaks service protocol versions 1 to 2, this server 5 to 7: its SDK is too old")]
    [InlineData(8, 9, "speaks service protocol versions 8 to 9, this server 5 to 7: its SDK is newer than this server supports")]
    public async Task An_incompatible_protocol_range_names_both_ranges_and_what_to_do(int min, int max, string message)
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()) with { MinProtocolVersion = min, MaxProtocolVersion = max });

        var (status, text, code) = await RegisterAsync(host, endpoint.Uri);

        Assert.Equal((HttpStatusCode.InternalServerError, "META0012"), (status, code));
        Assert.Contains(message, text, StringComparison.Ordinal);
    }

    private static readonly Dictionary<string, ServiceManifest> Refused = new()
    {
        ["reserved name"] = Manifests.Greeter() with { Name = "restate.Greeter" },
        ["handler twice"] = Manifests.Greeter("greet", "greet"),
        ["workflow retention on a service handler"] = Manifests.Greeter() with { Handlers = [Manifests.Handler("greet") with { WorkflowCompletionRetention = 1000 }] },
        ["public handler of a private service"] = Manifests.Greeter() with { IngressPrivate = true, Handlers = [Manifests.Handler("greet") with { IngressPrivate = false }] },
        ["bad input content type"] = Manifests.Greeter() with { Handlers = [Manifests.Handler("greet") with { Input = new InputPayload { ContentType = "*/json" } }] },
        ["workflow handler in an object"] = Manifests.Counter() with { Handlers = [Manifests.Handler("run", HandlerType.Workflow)] },
    };

    [Theory]
    [InlineData("reserved name", "is reserved", "META0005")]
    [InlineData("handler twice", "defines handler 'greet' twice", null)]
    [InlineData("workflow retention on a service handler", "only a workflow's WORKFLOW handler may", null)]
    [InlineData("public handler of a private service", "explicitly public", null)]
    [InlineData("bad input content type", "*/subtype is not supported", null)]
    [InlineData("workflow handler in an object", "cannot be Workflow", null)]
    public async Task Manifests_the_schema_rules_refuse_are_400_with_the_reason(string problem, string message, string? code)
    {
        await using var host = await AdminHost.StartAsync();
        await using var endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Refused[problem]));

        var (status, text, restateCode) = await RegisterAsync(host, endpoint.Uri);

        Assert.Equal((HttpStatusCode.BadRequest, code), (status, restateCode));
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Empty((await host.GetAsync("/deployments"))["deployments"]!.AsArray());
    }
}
