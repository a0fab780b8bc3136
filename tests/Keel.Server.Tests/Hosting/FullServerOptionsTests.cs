using System.Net;
using System.Net.Http.Json;
using System.Text;
using Keel.Sdk.AspNetCore;
using Keel.Server.Hosting;
using Keel.Server.Tests.Deadlocks;
using Keel.Server.Tests.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Hosting;

/// <summary>
/// <see cref="FullServer.StartAsync"/> adds its roles to the embedding process's options: every other option
/// must reach the server as given, as through <see cref="KeelServerHost.StartAsync"/>.
/// </summary>
public sealed class FullServerOptionsTests : IAsyncLifetime
{
    private WebApplication _endpoint = null!;
    private KeelServerHost _server = null!;

    public async Task InitializeAsync()
    {
        var port = UpgradeHost.FreePort();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => k.AddService<HopB>());
        await _endpoint.StartAsync();
        _server = await FullServer.StartAsync(new ServerSettings
        {
            DataDirectory = Directory.CreateTempSubdirectory("keel-full-options-").FullName,
            IngressPort = UpgradeHost.FreePort(),
            AdminPort = UpgradeHost.FreePort(),
        }, new KeelServerHostOptions { FailOnAttemptError = true, ConfigureLogging = logging => logging.ClearProviders() });
        using var admin = new HttpClient { BaseAddress = _server.AdminUrl };
        using var registered = await admin.PostAsJsonAsync("/deployments", new { uri = $"http://127.0.0.1:{port}" });
        Assert.True(registered.IsSuccessStatusCode, await registered.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _endpoint.DisposeAsync();
    }

    [Fact]
    public async Task Fail_on_attempt_error_fails_the_call_at_its_first_attempt_with_the_handlers_error()
    {
        // Far above what one failing attempt takes; the default retry policy would keep retrying for much longer.
        using var ingress = new HttpClient { BaseAddress = _server.IngressUrl, Timeout = TimeSpan.FromSeconds(20) };

        using var response = await ingress.PostAsync(new Uri("/HopB/k/fail", UriKind.Relative), new StringContent("\"on purpose\"", Encoding.UTF8, "application/json"));

        var body = await response.Content.ReadAsStringAsync();
        Assert.False(response.IsSuccessStatusCode, body);
        Assert.Contains("failing on purpose: on purpose", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_option_is_one_the_full_server_passes_on()
    {
        // A tripwire: an option added to KeelServerHostOptions must be copied in FullServer.WithRoles too (then listed here).
        string[] passedOn = [nameof(KeelServerHostOptions.TimeProvider), nameof(KeelServerHostOptions.FailOnAttemptError),
            nameof(KeelServerHostOptions.ConfigureLogging), nameof(KeelServerHostOptions.Roles)];

        Assert.Equal(passedOn.Order(), typeof(KeelServerHostOptions).GetProperties().Select(p => p.Name).Order());
    }
}
