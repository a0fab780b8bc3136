using System.Net;
using Keel.Conformance.Services;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;

namespace Keel.Sdk.Interop.Tests;

/// <summary>
/// One real restate-server plus the C# conformance endpoint (hosted in this process) registered with
/// it. Subclasses pick the protocol version and the endpoint's mode.
/// </summary>
public abstract class RestateWithKeelEndpoint : IAsyncLifetime
{
    private IServerProcess? _server;
    private WebApplication? _endpoint;

    protected abstract bool EnableProtocolV7 { get; }

    /// <summary>HTTP/1.1 request-response: the runtime closes the input after the replay, so every await suspends.</summary>
    public abstract bool RequestResponse { get; }

    public IngressClient Ingress { get; private set; } = null!;

    public AdminClient Admin { get; private set; } = null!;

    public IServerProcess Server => _server!;

    /// <summary>The official restate-server by default; the Keel server in its subclasses.</summary>
    protected virtual async Task<IServerProcess> StartServerAsync() => await RestateServerProcess.StartAsync(new RestateServerOptions
    {
        EnableProtocolV7 = EnableProtocolV7,
        // Short server-side retry backoff keeps the retry scenarios fast.
        Environment = new Dictionary<string, string> { ["RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL"] = "50ms" },
    });

    public async Task InitializeAsync()
    {
        _server = await StartServerAsync();
        var port = FreePort.Next();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, RequestResponse, k =>
        {
            foreach (var type in ConformanceCatalog.All.Values)
            {
                k.AddService(type);
            }
        });
        await _endpoint.StartAsync();
        Admin = new AdminClient(_server.AdminUrl);
        Ingress = new IngressClient(_server.IngressUrl);
        await Admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{port}"), useHttp11: RequestResponse);
    }

    public async Task DisposeAsync()
    {
        Ingress?.Dispose();
        Admin?.Dispose();
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

public sealed class V6BidiStream : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => false;
}

public sealed class V7BidiStream : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => true;

    public override bool RequestResponse => false;
}

public sealed class V6RequestResponse : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => true;
}

/// <summary>Our SDK on our server: the same scenarios with the Keel server in place of restate-server.</summary>
public sealed class KeelServerV6 : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => false;

    protected override async Task<IServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync();
}

public sealed class KeelServerV7 : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => true;

    public override bool RequestResponse => false;

    protected override async Task<IServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync(new KeelServerOptions { EnableProtocolV7 = true });
}

public sealed class KeelServerRequestResponse : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => true;

    protected override async Task<IServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync();
}

/// <summary>Our SDK on three Keel nodes over one PostgreSQL: registered at node 3, called through node 2.</summary>
public sealed class KeelClusterV6 : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => false;

    protected override async Task<IServerProcess> StartServerAsync() => new ClusterAsServer(await KeelCluster.StartAsync(3), adminNode: 2, ingressNode: 1);
}
