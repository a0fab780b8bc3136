namespace Keel.TestSupport;

/// <summary>Which server a side-by-side test case runs against.</summary>
public enum ServerKind
{
    /// <summary>The official restate-server 1.7.12: validates the harness and the expectations.</summary>
    Restate,

    /// <summary>The Keel server, held to the same expectations.</summary>
    Keel,
}

/// <summary>
/// A server (Keel's or restate-server) with a TypeScript services script (tests/oracles/services) registered
/// as a request-response deployment, so a blocked invocation suspends at once; plus ingress and admin clients.
/// </summary>
public sealed class ServicesOnServer : IAsyncDisposable
{
    private ServicesOnServer(ServerKind kind, IServerProcess server, NodeServicesProcess services, string deploymentId)
    {
        Kind = kind;
        Server = server;
        Services = services;
        DeploymentId = deploymentId;
        Ingress = new IngressClient(server.IngressUrl);
        Admin = new AdminClient(server.AdminUrl);
    }

    public ServerKind Kind { get; }

    public IServerProcess Server { get; }

    public NodeServicesProcess Services { get; }

    public string DeploymentId { get; }

    public IngressClient Ingress { get; }

    public AdminClient Admin { get; }

    /// <summary>Starts the server and the services and registers them; stops what it started if any step fails.</summary>
    public static async Task<ServicesOnServer> StartAsync(ServerKind kind, string script = "cli.mjs")
    {
        IServerProcess server = kind == ServerKind.Restate ? await RestateServerProcess.StartAsync() : await KeelServerProcess.StartAsync();
        NodeServicesProcess? services = null;
        try
        {
            services = await NodeServicesProcess.StartAsync(script, new Dictionary<string, string>());
            using var admin = new AdminClient(server.AdminUrl);
            using var registered = await admin.RegisterDeploymentAsync(services.Url, useHttp11: true);
            return new ServicesOnServer(kind, server, services, registered.RootElement.GetProperty("id").GetString()!);
        }
        catch
        {
            if (services is not null)
            {
                await services.DisposeAsync();
            }

            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A one-way send through the ingress: the invocation id (a refused send fails the test's set-up).</summary>
    public async Task<string> SendAsync(string path, object? body = null, string? delay = null)
    {
        var sent = await Ingress.SendAsync(path, body, delay);
        return sent.IsSuccess && sent.InvocationId is { } id ? id : throw new InvalidOperationException($"send {path}: {(int)sent.Status} {sent.Body}");
    }

    /// <summary>A call through the ingress: the invocation id of the completed call.</summary>
    public async Task<string> CallAsync(string path, object body)
    {
        var called = await Ingress.CallAsync(path, body);
        return called.IsSuccess && called.InvocationId is { } id
            ? id
            : throw new InvalidOperationException($"call {path}: {(int)called.Status} {called.Body} (invocation id header: {called.InvocationId})");
    }

    public async ValueTask DisposeAsync()
    {
        Ingress.Dispose();
        Admin.Dispose();
        await Services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
