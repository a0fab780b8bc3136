using System.Net;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Keel.Sdk.Interop.Tests;

[Service]
public sealed class HostedGreeter
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name) => Task.FromResult($"Hello {name}");

    [Handler]
    public Task Ping(IContext ctx) => Task.CompletedTask;

    [Handler]
    public Task<int> Twice(IContext ctx, int? value) => Task.FromResult((value ?? 21) * 2);
}

public sealed record Shipment(string OrderId, int Count);

[Service]
public sealed class HostedShipper
{
    [Handler]
    public Task<Shipment> Ship(IContext ctx, string orderId) => Task.FromResult(new Shipment(orderId, 2));
}

/// <summary>
/// A <c>dotnet new web</c>-style app (WebApplication.CreateBuilder, no Kestrel configuration, its URL on
/// a free port) with <c>AddKeel</c>/<c>MapKeel</c>: Keel adds its own h2c listener, the app keeps its URL.
/// </summary>
public sealed class HostingInExistingAppTests
{
    private sealed record HostedApp(WebApplication App, int AppPort, int KeelPort) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    private static WebApplicationBuilder CreateBuilder(int appPort, int keelPort)
    {
        var builder = WebApplication.CreateBuilder(["--urls", $"http://127.0.0.1:{appPort}"]);
        builder.Services.AddKeel(k =>
        {
            k.AddService<HostedGreeter>();
            k.Port = keelPort;
        });
        return builder;
    }

    private static async Task<HostedApp> StartAppAsync()
    {
        var (appPort, keelPort) = (FreePort.Next(), FreePort.Next());
        var app = CreateBuilder(appPort, keelPort).Build();
        app.MapGet("/", () => "the app");
        app.MapKeel();
        await app.StartAsync();
        return new HostedApp(app, appPort, keelPort);
    }

    [Fact]
    public async Task Json_options_set_on_AddKeel_shape_what_the_handlers_write()
    {
        await using var server = await KeelServerProcess.StartAsync();
        var (appPort, keelPort) = (FreePort.Next(), FreePort.Next());
        var builder = WebApplication.CreateBuilder(["--urls", $"http://127.0.0.1:{appPort}"]);
        builder.Services.AddKeel(k =>
        {
            k.AddService<HostedShipper>();
            k.Port = keelPort;
            k.Json.Configure(o => o.PropertyNamingPolicy = null);
        });
        await using var app = builder.Build();
        app.MapKeel();
        await app.StartAsync();
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{keelPort}"));

        var shipped = await ingress.CallAsync("/HostedShipper/ship", "o-1");
        Assert.True(shipped.IsSuccess, shipped.Body);
        Assert.Equal("{\"OrderId\":\"o-1\",\"Count\":2}", shipped.Body);
    }

    [Fact]
    public async Task Registers_on_the_Keel_server_and_keeps_the_apps_own_url() =>
        await RegistersAndCallsAsync(await KeelServerProcess.StartAsync());

    [Fact]
    public async Task Registers_on_restate_server_and_keeps_the_apps_own_url() =>
        await RegistersAndCallsAsync(await RestateServerProcess.StartAsync());

    private static async Task RegistersAndCallsAsync(IServerProcess server)
    {
        await using var _ = server;
        await using var hosted = await StartAppAsync();
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{hosted.KeelPort}"));

        var greet = await ingress.CallAsync("/HostedGreeter/greet", "Ada");
        Assert.True(greet.IsSuccess, greet.Body);
        Assert.Equal("Hello Ada", greet.Json.GetString());
        var ping = await ingress.CallAsync("/HostedGreeter/ping");
        Assert.True(ping.IsSuccess, ping.Body);
        var twice = await ingress.CallAsync("/HostedGreeter/twice");
        Assert.True(twice.IsSuccess, twice.Body);
        Assert.Equal(42, twice.Json.GetInt32());

        // The app's own route still answers on its port, over HTTP/1.1; Keel's routes are not there.
        using var http = new HttpClient();
        using var home = await http.GetAsync(new Uri($"http://127.0.0.1:{hosted.AppPort}/"));
        Assert.Equal(HttpVersion.Version11, home.Version);
        Assert.Equal("the app", await home.Content.ReadAsStringAsync());
        using var discover = await http.GetAsync(new Uri($"http://127.0.0.1:{hosted.AppPort}/discover"));
        Assert.Equal(HttpStatusCode.NotFound, discover.StatusCode);
    }

    [Fact]
    public async Task A_required_input_without_a_body_is_rejected_by_restate_server()
    {
        await using var server = await RestateServerProcess.StartAsync();
        await using var hosted = await StartAppAsync();
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{hosted.KeelPort}"));
        var missing = await ingress.CallAsync("/HostedGreeter/greet");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
    }

    [Fact]
    public async Task Keel_routes_answer_only_on_keels_port_over_h2c()
    {
        await using var hosted = await StartAppAsync();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{hosted.KeelPort}/health"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var health = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var appHealth = await http.GetAsync(new Uri($"http://127.0.0.1:{hosted.AppPort}/health"));
        Assert.Equal(HttpStatusCode.NotFound, appHealth.StatusCode);
    }

    [Fact]
    public async Task An_http1_only_listener_on_keels_port_fails_the_start_with_what_to_configure()
    {
        var (appPort, keelPort) = (FreePort.Next(), FreePort.Next());
        var builder = CreateBuilder(appPort, keelPort);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, keelPort, o => o.Protocols = HttpProtocols.Http1));
        await using var app = builder.Build();
        app.MapKeel();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        var message = failure is AggregateException aggregate ? aggregate.InnerExceptions[0].Message : failure.Message;
        Assert.Contains($"127.0.0.1:{keelPort}", message, StringComparison.Ordinal);
        Assert.Contains("Protocols = HttpProtocols.Http2", message, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Endpoints_declared_in_code_work_when_they_include_keels_h2c_endpoint()
    {
        var (appPort, keelPort) = (FreePort.Next(), FreePort.Next());
        var builder = CreateBuilder(appPort, keelPort);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, appPort);
            kestrel.Listen(IPAddress.Loopback, keelPort, o => o.Protocols = HttpProtocols.Http2);
        });
        await using var app = builder.Build();
        app.UseHttpsRedirection();
        app.MapGet("/", () => "the app");
        app.MapKeel();
        await app.StartAsync();
        await using var server = await KeelServerProcess.StartAsync();
        using var admin = new AdminClient(server.AdminUrl);
        using var ingress = new IngressClient(server.IngressUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{keelPort}"));
        Assert.Equal("Hello Bo", (await ingress.CallAsync("/HostedGreeter/greet", "Bo")).Json.GetString());
        using var http = new HttpClient();
        Assert.Equal("the app", await http.GetStringAsync(new Uri($"http://127.0.0.1:{appPort}/")));
        await app.StopAsync();
    }

    [Fact]
    public async Task Kestrel_endpoints_in_configuration_without_keels_fail_the_start_with_what_to_configure()
    {
        var (appPort, keelPort) = (FreePort.Next(), FreePort.Next());
        var builder = CreateBuilder(appPort, keelPort);
        builder.Configuration["Kestrel:Endpoints:App:Url"] = $"http://127.0.0.1:{appPort}";
        await using var app = builder.Build();
        app.MapKeel();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        var message = failure is AggregateException aggregate ? aggregate.InnerExceptions[0].Message : failure.Message;
        Assert.Contains("Kestrel:Endpoints:Keel:Protocols = Http2", message, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task The_apps_url_on_keels_port_fails_the_start()
    {
        var port = FreePort.Next();
        await using var app = CreateBuilder(port, port).Build();
        app.MapKeel();
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.Contains("Keel's listener port", failure.Message, StringComparison.Ordinal);
    }
}
