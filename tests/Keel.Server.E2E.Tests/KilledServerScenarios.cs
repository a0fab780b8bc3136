using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

/// <summary>
/// A Keel server process with TypeScript services registered, for scenarios that kill it and start it again: on the
/// embedded storage, or on a PostgreSQL server of its own (<paramref name="onPostgres"/>), which outlives the killed
/// server as a data directory does.
/// </summary>
public abstract class KilledServerScenarios(bool onPostgres) : IAsyncLifetime
{
    private PostgresServer? _postgres;

    protected KeelServerProcess Server { get; private set; } = null!;

    protected NodeServicesProcess Services { get; private set; } = null!;

    /// <summary>The services registered on the server: the contract services unless a scenario needs others.</summary>
    protected virtual Task<NodeServicesProcess> StartServicesAsync() => NodeServicesProcess.StartAsync();

    /// <summary>Whether the services answer over HTTP/1.1 rather than h2c.</summary>
    protected virtual bool ServicesUseHttp11 => false;

    public async Task InitializeAsync()
    {
        var options = new KeelServerOptions();
        if (onPostgres)
        {
            _postgres = await PostgresServer.StartAsync();
            options = new KeelServerOptions { ExtraArguments = ["--storage", "postgres", "--postgres", _postgres.ConnectionString()] };
        }

        Server = await KeelServerProcess.StartAsync(options);
        Services = await StartServicesAsync();
        using var admin = new AdminClient(Server.AdminUrl);
        using var registered = await admin.RegisterDeploymentAsync(Services.Url, ServicesUseHttp11);
    }

    public async Task DisposeAsync()
    {
        await Services.DisposeAsync();
        await Server.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
