using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

/// <summary>A Keel server with the TypeScript contract services registered.</summary>
public abstract class KeelServerWithTsServices : IAsyncLifetime
{
    public abstract bool RequestResponse { get; }

    public KeelServerProcess Server { get; private set; } = null!;

    public NodeServicesProcess Services { get; private set; } = null!;

    public IngressClient Ingress { get; private set; } = null!;

    public AdminClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KeelServerProcess.StartAsync();
        Services = await NodeServicesProcess.StartAsync(RequestResponse);
        Admin = new AdminClient(Server.AdminUrl);
        Ingress = new IngressClient(Server.IngressUrl);
        await Admin.RegisterDeploymentAsync(Services.Url, useHttp11: RequestResponse);
    }

    public async Task DisposeAsync()
    {
        Ingress?.Dispose();
        Admin?.Dispose();
        await Services.DisposeAsync();
        await Server.DisposeAsync();
    }
}

public sealed class BidiStreamSetup : KeelServerWithTsServices
{
    public override bool RequestResponse => false;
}

public sealed class RequestResponseSetup : KeelServerWithTsServices
{
    public override bool RequestResponse => true;
}
