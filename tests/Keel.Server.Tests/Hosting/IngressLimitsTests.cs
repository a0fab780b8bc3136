using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Server.Hosting;
using Keel.Server.Tests.Admin;

namespace Keel.Server.Tests.Hosting;

/// <summary>The ingress's request limits answer with their own status and say which limit it was.</summary>
public sealed class IngressLimitsTests(IngressLimitsTests.Server server) : IClassFixture<IngressLimitsTests.Server>
{
    [Fact]
    public async Task A_call_with_a_body_over_the_limit_gets_413_naming_the_limit_and_its_setting()
    {
        using var response = await server.Ingress.PostAsync(new Uri("/Greeter/greet", UriKind.Relative),
            new StringContent("\"" + new string('a', 100_000) + "\"", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("The request body is larger than this server takes (65536 bytes; the setting is --ingress-max-body).", (string)body["message"]!);
    }

    [Fact]
    public async Task A_body_within_the_limit_reaches_the_handler_check()
    {
        // Same path, a small body of the wrong type: refused by the input check, so the body was read.
        using var response = await server.Ingress.PostAsync(new Uri("/Greeter/greet", UriKind.Relative), new StringContent("x", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Headers_over_kestrels_limit_get_431()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/restate/health");
        request.Headers.TryAddWithoutValidation("x-big", new string('a', 40 * 1024));

        using var response = await server.Ingress.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
    }

    /// <summary>A server with a 64 KiB body limit and the Greeter service registered (an endpoint that serves only its manifest).</summary>
    public sealed class Server : IAsyncLifetime
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "keel-limits-" + Guid.NewGuid().ToString("N"));
        private ManifestEndpoint _endpoint = null!;
        private KeelServerHost _host = null!;

        public HttpClient Ingress { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _endpoint = await ManifestEndpoint.StartAsync(Manifests.Of(Manifests.Greeter()));
            _host = await KeelServerHost.StartAsync(new ServerSettings
            {
                DataDirectory = _directory,
                IngressPort = ListenerSecurityTests.Server.FreePort(),
                AdminPort = ListenerSecurityTests.Server.FreePort(),
                IngressMaxBodyBytes = 65536,
            }, ListenerSecurityTests.Server.Quiet());
            using var admin = new HttpClient { BaseAddress = _host.AdminUrl };
            using var registered = await admin.PostAsync(new Uri("/deployments", UriKind.Relative),
                new StringContent(new JsonObject { ["uri"] = _endpoint.Uri.ToString() }.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
            Ingress = new HttpClient { BaseAddress = _host.IngressUrl };
        }

        public async Task DisposeAsync()
        {
            Ingress.Dispose();
            await _host.DisposeAsync();
            await _endpoint.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
