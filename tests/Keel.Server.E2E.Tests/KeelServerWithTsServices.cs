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

    /// <summary>The server's options; a setup may start what they need first (a database).</summary>
    protected virtual Task<KeelServerOptions> ServerOptionsAsync() => Task.FromResult(new KeelServerOptions());

    public async Task InitializeAsync()
    {
        Server = await KeelServerProcess.StartAsync(await ServerOptionsAsync());
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
        await DisposeStorageAsync();
    }

    protected virtual Task DisposeStorageAsync() => Task.CompletedTask;
}

public sealed class BidiStreamSetup : KeelServerWithTsServices
{
    public override bool RequestResponse => false;
}

public sealed class RequestResponseSetup : KeelServerWithTsServices
{
    public override bool RequestResponse => true;
}

/// <summary>The Keel server on PostgreSQL storage (a database server of its own) instead of the embedded RocksDB.</summary>
public sealed class PostgresStorageSetup : KeelServerWithTsServices
{
    private PostgresServer? _postgres;

    public override bool RequestResponse => false;

    protected override async Task<KeelServerOptions> ServerOptionsAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        return new KeelServerOptions { ExtraArguments = ["--storage", "postgres", "--postgres", _postgres.ConnectionString()] };
    }

    protected override async Task DisposeStorageAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
