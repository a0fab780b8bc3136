using System.Text.Json;
using Keel.Protocol.Manifest;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Keel.Sdk.Interop.Tests;

/// <summary>
/// An endpoint in the Development environment advertises a short retry policy, so a handler's bug pauses
/// its invocation within seconds on either server; elsewhere, or opted out, the server's default applies.
/// </summary>
public sealed class DevelopmentRetryPolicyTests
{
    private static async Task<(WebApplication App, Uri Url)> StartEndpointAsync(string environment, bool advertise = true)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Services.AddKeel(k =>
        {
            k.AddService<HostedGreeter>();
            k.Port = port;
            k.ProtocolMode = ProtocolMode.RequestResponse;
            k.KeepAppUrls = false;
            k.DevelopmentRetryPolicy = advertise;
        });
        var app = builder.Build();
        app.MapKeel();
        await app.StartAsync();
        return (app, new Uri($"http://127.0.0.1:{port}/"));
    }

    private static async Task<ServiceManifest> DiscoverAsync(Uri endpoint, int version)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(endpoint, "discover"));
        request.Headers.TryAddWithoutValidation("Accept", EndpointManifest.ContentType(version));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return EndpointManifest.FromJson(await response.Content.ReadAsStringAsync()).Services.Single();
    }

    [Fact]
    public async Task In_development_the_manifest_carries_four_attempts_then_pause()
    {
        var (app, url) = await StartEndpointAsync(Environments.Development);
        await using var _ = app;

        var service = await DiscoverAsync(url, 4);

        Assert.Equal((500L, 2.0, 2_000L, 4, RetryPolicyOnMaxAttempts.Pause), (service.RetryPolicyInitialInterval, service.RetryPolicyExponentiationFactor, service.RetryPolicyMaxInterval, service.RetryPolicyMaxAttempts, service.RetryPolicyOnMaxAttempts));
        Assert.False((await DiscoverAsync(url, 3)).HasRetryPolicy);   // older manifests have no retry policy
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Staging", true)]
    [InlineData("Development", false)]
    public async Task Elsewhere_or_opted_out_the_manifest_leaves_the_policy_to_the_server(string environment, bool advertise)
    {
        var (app, url) = await StartEndpointAsync(environment, advertise);
        await using var _ = app;

        Assert.False((await DiscoverAsync(url, 4)).HasRetryPolicy);
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Both_servers_apply_the_advertised_policy(ServerKind kind)
    {
        await using IServerProcess server = kind == ServerKind.Restate ? await RestateServerProcess.StartAsync() : await KeelServerProcess.StartAsync();
        var (app, url) = await StartEndpointAsync(Environments.Development);
        await using var _ = app;
        using var admin = new AdminClient(server.AdminUrl);
        using var registered = await admin.RegisterDeploymentAsync(url, useHttp11: true);

        var (_, service) = await admin.GetJsonAsync("services/HostedGreeter");

        var policy = service!.Value.GetProperty("retry_policy");
        Assert.Equal(4, policy.GetProperty("max_attempts").GetInt32());
        Assert.Equal("pause", policy.GetProperty("on_max_attempts").GetString(), StringComparer.OrdinalIgnoreCase);
    }
}
