using System.Net;
using System.Net.Sockets;
using System.Text;
using Keel.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Hosting;

/// <summary>One server with an admin token, probed as an attacker would: forged Host headers, cross-site POSTs, rebound names, no token.</summary>
public sealed class ListenerSecurityTests(ListenerSecurityTests.Server server) : IClassFixture<ListenerSecurityTests.Server>
{
    private const string Token = "0123456789abcdef-admin-token";

    [Fact]
    public async Task The_admin_api_does_not_answer_on_the_ingress_port_whatever_the_Host_header_says()
    {
        foreach (var (method, path) in new[] { ("GET", "/deployments"), ("POST", "/query"), ("GET", "/ui/"), ("GET", "/metrics"), ("POST", "/internal/v1/partitions/0/handovers") })
        {
            using var response = await SendAsync(server.Ingress, method, path, host: $"x:{server.Host.Settings.AdminPort}", authorization: true,
                body: method == "POST" ? "{\"query\":\"SELECT * FROM sys_journal\"}" : null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.DoesNotContain("\"deployments\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_ingress_does_not_answer_on_the_admin_port()
    {
        using var response = await SendAsync(server.Admin, "GET", "/restate/health", host: $"127.0.0.1:{server.Host.Settings.IngressPort}", authorization: true);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("keel.example")]
    [InlineData("keel.example:80")]
    [InlineData("10.0.0.7:31080")]
    public async Task The_ingress_answers_behind_a_proxy_whatever_Host_it_sends(string host)
    {
        using var response = await SendAsync(server.Ingress, "GET", "/restate/health", host: host);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=b")]
    public async Task A_post_a_web_page_could_send_cross_site_is_refused_and_changes_nothing(string contentType)
    {
        using var register = await SendAsync(server.Admin, "POST", "/deployments", body: "{\"uri\":\"http://127.0.0.1:1/\",\"force\":true}", contentType: contentType, authorization: true);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, register.StatusCode);
        using var state = await SendAsync(server.Admin, "POST", "/services/Counter/state", body: "{\"object_key\":\"k\",\"new_state\":{}}", contentType: contentType, authorization: true);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, state.StatusCode);

        using var list = await SendAsync(server.Admin, "GET", "/deployments", authorization: true);
        Assert.Equal("{\"deployments\":[]}", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_rebound_host_name_is_refused_even_with_the_token()
    {
        using var response = await SendAsync(server.Admin, "POST", "/query", body: "{\"query\":\"SELECT 1\"}", host: "attacker.example", authorization: true);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
    }

    [Fact]
    public async Task Without_the_token_the_admin_api_answers_401_but_health_and_the_console_page_stay_open()
    {
        using var refused = await SendAsync(server.Admin, "GET", "/deployments");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var query = await SendAsync(server.Admin, "POST", "/query", body: "{\"query\":\"SELECT 1\"}");
        Assert.Equal(HttpStatusCode.Unauthorized, query.StatusCode);

        using var health = await SendAsync(server.Admin, "GET", "/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var page = await SendAsync(server.Admin, "GET", "/ui/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_naming_the_limit()
    {
        var large = "{\"uri\":\"http://127.0.0.1:1/\",\"additional_headers\":{\"x\":\"" + new string('a', 100_000) + "\"}}";
        using var response = await SendAsync(server.Admin, "POST", "/deployments", body: large, authorization: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("65536 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_listener_other_machines_can_reach_needs_a_token_to_start()
    {
        var settings = new ServerSettings { DataDirectory = Path.Combine(Path.GetTempPath(), "keel-nobind-" + Guid.NewGuid().ToString("N")), IngressPort = Server.FreePort(), AdminPort = Server.FreePort(), AdminBind = "0.0.0.0" };
        var e = await Assert.ThrowsAsync<KeelServerStartException>(() => KeelServerHost.StartAsync(settings, Server.Quiet()));
        Assert.Contains("without a token", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(settings.DataDirectory), "nothing was opened");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? body = null, string contentType = "application/json", string? host = null, bool authorization = false)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (authorization)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        }

        return await client.SendAsync(request);
    }

    /// <summary>The full server (every role) with an admin token and a small body limit.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), "keel-listeners-" + Guid.NewGuid().ToString("N"));

        public KeelServerHost Host { get; private set; } = null!;

        public HttpClient Ingress { get; private set; } = null!;

        public HttpClient Admin { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Host = await FullServer.StartAsync(new ServerSettings
            {
                DataDirectory = _directory,
                IngressPort = FreePort(),
                AdminPort = FreePort(),
                AdminToken = Token,
                IngressMaxBodyBytes = 65536,
            }, Quiet());
            Ingress = new HttpClient { BaseAddress = Host.IngressUrl };
            Admin = new HttpClient { BaseAddress = Host.AdminUrl };
        }

        public async Task DisposeAsync()
        {
            Ingress.Dispose();
            Admin.Dispose();
            await Host.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }

        internal static KeelServerHostOptions Quiet() => new() { ConfigureLogging = logging => logging.ClearProviders() };

        internal static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }
    }
}
