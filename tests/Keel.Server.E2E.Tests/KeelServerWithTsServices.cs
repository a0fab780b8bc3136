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

    /// <summary>Starts the server the scenarios talk to (a cluster setup starts several and returns one).</summary>
    protected virtual async Task<KeelServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync(await ServerOptionsAsync());

    /// <summary>Where the scenarios send ingress requests (in a cluster: another node than the admin one).</summary>
    protected virtual Uri IngressUrl => Server.IngressUrl;

    protected virtual Uri AdminUrl => Server.AdminUrl;

    /// <summary>Everything the server (or every node) logged so far.</summary>
    public virtual string ServerLogs() => ProcessLogs.Tail(Server.LogFile, int.MaxValue);

    public async Task InitializeAsync()
    {
        Server = await StartServerAsync();
        Services = await NodeServicesProcess.StartAsync(RequestResponse);
        Admin = new AdminClient(AdminUrl);
        Ingress = new IngressClient(IngressUrl);
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
