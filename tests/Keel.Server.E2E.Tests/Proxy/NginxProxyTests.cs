using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Keel.Server.E2E.Tests.Proxy;

/// <summary>
/// The Keel server behind a real nginx that rewrites Host to its own name (no port) and adds
/// X-Forwarded-*: the ingress answers whatever name the proxy sends, the admin API only names in
/// --admin-allowed-hosts, and /version reports the proxy's URL given as --advertised-ingress-url.
/// </summary>
public sealed class NginxProxyTests(NginxProxyTests.Setup setup) : IClassFixture<NginxProxyTests.Setup>
{
    [Fact]
    public async Task Calls_and_sends_go_through_the_proxy_to_the_services()
    {
        using var ingress = new IngressClient(setup.Ingress.Url);

        var call = await ingress.CallAsync("/Counter/proxied/add", 5);
        Assert.True(call.Status == HttpStatusCode.OK, call.Body);
        Assert.Equal(5, call.Json.GetProperty("newValue").GetInt32());

        var send = await ingress.SendAsync("/Counter/proxied/add", 2);
        Assert.Equal(HttpStatusCode.Accepted, send.Status);
        Assert.StartsWith("inv_", send.InvocationId, StringComparison.Ordinal);

        await Eventually.UntilAsync(async () => (await ingress.CallAsync("/Counter/proxied/get")).Body == "7",
            TimeSpan.FromSeconds(30), "the send through the proxy to run");
    }

    [Fact]
    public async Task The_admin_api_answers_the_proxy_name_it_was_told_and_refuses_another_with_421()
    {
        using var http = new HttpClient();

        using var allowed = await http.GetAsync(new Uri(setup.Admin.Url, "/deployments"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Contains(setup.Services.Url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), await allowed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var refused = await http.GetAsync(new Uri(setup.UnlistedAdmin.Url, "/deployments"));
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        var message = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("message").GetString();
        Assert.Contains("'keel-other.test'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_reports_the_advertised_ingress_url()
    {
        using var http = new HttpClient();

        var version = await http.GetFromJsonAsync<JsonElement>(new Uri(setup.Admin.Url, "/version"));

        Assert.Equal(setup.Ingress.Url.ToString(), version.GetProperty("ingress_endpoint").GetString());
    }

    /// <summary>
    /// nginx with three server blocks (ingress, admin under an allowed name, admin under an unlisted
    /// name) in front of one Keel server with the TypeScript contract services, registered through the proxy.
    /// </summary>
    public sealed class Setup : IAsyncLifetime
    {
        public KeelServerProcess Server { get; private set; } = null!;

        public NodeServicesProcess Services { get; private set; } = null!;

        public NginxProxy Proxy { get; private set; } = null!;

        public NginxSite Ingress { get; private set; } = null!;

        public NginxSite Admin { get; private set; } = null!;

        public NginxSite UnlistedAdmin { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            // The proxy's ports first: the server is told the ingress URL clients use.
            var ingressPort = FreePort.Next();
            var adminPort = FreePort.Next();
            var unlistedPort = FreePort.Next();
            Server = await KeelServerProcess.StartAsync(new KeelServerOptions
            {
                ExtraArguments = ["--admin-allowed-hosts", "keel-admin.test", "--advertised-ingress-url", $"http://127.0.0.1:{ingressPort}/"],
            });
            Ingress = new NginxSite(ingressPort, "keel.test", Server.IngressUrl);
            Admin = new NginxSite(adminPort, "keel-admin.test", Server.AdminUrl);
            UnlistedAdmin = new NginxSite(unlistedPort, "keel-other.test", Server.AdminUrl);
            Proxy = await NginxProxy.StartAsync(Ingress, Admin, UnlistedAdmin);
            Services = await NodeServicesProcess.StartAsync();
            using var admin = new AdminClient(Admin.Url);
            await admin.RegisterDeploymentAsync(Services.Url);
        }

        public async Task DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Services.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
