using System.Net;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Client.Tests;

/// <summary>A server (Keel or restate-server) with this assembly's services registered, and a Keel.Client on its ingress.</summary>
public abstract class ClientFixture : IAsyncLifetime
{
    private IServerProcess? _server;
    private WebApplication? _endpoint;
    private ServiceProvider? _services;

    protected abstract Task<IServerProcess> StartServerAsync();

    public IKeelClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = await StartServerAsync();
        var port = FreePort.Next();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => k
            .AddService<Greeter>()
            .AddService<ClientCounter>()
            .AddService<Mailbox>()
            .AddService<Waiter>()
            .AddService<Signup>());
        await _endpoint.StartAsync();
        using (var admin = new AdminClient(_server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{port}"));
        }

        var ingress = _server.IngressUrl;
        _services = new ServiceCollection().AddKeelClient(o => o.IngressUrl = ingress).Services.BuildServiceProvider();
        Client = _services.GetRequiredService<IKeelClient>();
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_endpoint is not null)
        {
            await _endpoint.StopAsync();
            await _endpoint.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class KeelServerFixture : ClientFixture
{
    protected override async Task<IServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync();
}

public sealed class RestateServerFixture : ClientFixture
{
    protected override async Task<IServerProcess> StartServerAsync() => await RestateServerProcess.StartAsync(new RestateServerOptions());
}
