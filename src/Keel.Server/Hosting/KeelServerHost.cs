using System.Diagnostics;
using System.Net;
using Keel.Server.Admin;
using Keel.Server.Admin.Security;
using Keel.Server.Hosting.Listeners;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Keel.Server.Identity;
using Keel.Server.Ingress;
using Keel.Server.Invoker;
using Keel.Server.Partitions;
using Keel.Server.WebConsole;

namespace Keel.Server.Hosting;

/// <summary>
/// One running Keel server: the runtime (partitions on the embedded storage) and its HTTP shell
/// (ingress, admin API, web console), plus the optional roles its embedder plugs in
/// (<see cref="ServerRole"/>: SQL introspection, the cluster on PostgreSQL, telemetry export). The
/// <c>keel-server</c> executable runs one with every role until it is stopped; a process may also start
/// one in-process (<see cref="StartAsync"/>), which is what the test environment for users does.
/// </summary>
public sealed class KeelServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly KeelRuntime _runtime;
    private readonly HttpInvoker _invoker;
    private readonly IReadOnlyList<ServerRole> _roles;
    private int _disposed;
    private TimeSpan _storageOpenedIn;

    private KeelServerHost(ServerSettings settings, WebApplication app, KeelRuntime runtime, HttpInvoker invoker, IReadOnlyList<ServerRole> roles)
    {
        Settings = settings;
        _app = app;
        _runtime = runtime;
        _invoker = invoker;
        _roles = roles;
    }

    /// <summary>The settings the server runs with.</summary>
    public ServerSettings Settings { get; }

    /// <summary>Where the ingress answers (calls, sends, attach, awakeables).</summary>
    public Uri IngressUrl => new($"http://{Settings.IngressAddress}:{Settings.IngressPort}/");

    /// <summary>Where the admin API answers (deployments, services, invocations, /query, /ui).</summary>
    public Uri AdminUrl => new($"http://{Settings.AdminAddress}:{Settings.AdminPort}/");

    /// <summary>The runtime core: what an embedding process (the test environment) observes, such as its activity and timers.</summary>
    public KeelRuntime Runtime => _runtime;

    /// <summary>The storage in words (for logs and messages, never with a password).</summary>
    public string StorageDescription { get; private init; } = "";

    /// <summary>The cause when a partition failed and stopped the server; null while it runs.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>Completes when the server was asked to stop (Ctrl-C, SIGTERM, a failed partition).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Runs the server as the <c>keel-server</c> executable does: settings from flags, environment and config file; returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, KeelServerHostOptions? options = null)
    {
        var startup = Stopwatch.StartNew();
        if (StorageCommands.IsCommand(args))
        {
            return StorageCommands.Run(args, Console.Out, Console.Error, Environment.GetEnvironmentVariable);
        }

        if (ServerSettings.InformationalAnswer(args) is { } answer)
        {
            await Console.Out.WriteAsync(answer).ConfigureAwait(false);
            return 0;
        }

        ServerSettings settings;
        try
        {
            settings = ServerSettings.Load(args, Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"keel-server: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        KeelServerHost server;
        try
        {
            server = await StartAsync(settings, options).ConfigureAwait(false);
        }
        catch (KeelServerStartException e)
        {
            await Console.Error.WriteLineAsync($"keel-server: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        await using (server.ConfigureAwait(false))
        {
            server._app.Logger.LogInformation("Keel server ready in {Ready:F0} ms (storage opened in {Open:F0} ms): ingress {IngressAddress}:{Ingress}, admin {AdminAddress}:{Admin}, storage {Storage}",
                startup.Elapsed.TotalMilliseconds, server._storageOpenedIn.TotalMilliseconds, settings.IngressAddress, settings.IngressPort, settings.AdminAddress, settings.AdminPort,
                server.StorageDescription);
            await server.WaitForShutdownAsync().ConfigureAwait(false);
        }

        // Crash-only: a partition whose storage failed stops the process with a non-zero code so a
        // supervisor restarts it, and recovery picks up from what was durable.
        return server.Failure is null ? 0 : 70;
    }

    /// <summary>Starts a server in this process and returns once its ports answer.</summary>
    /// <exception cref="KeelServerStartException">A setting, the identity key or the data directory cannot be used; the message says which and why.</exception>
    public static async Task<KeelServerHost> StartAsync(ServerSettings settings, KeelServerHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        options ??= new KeelServerHostOptions();
        var roles = options.Roles.Select(create => create()).ToList();
        try
        {
            return await StartAsync(settings, options, roles).ConfigureAwait(false);
        }
        catch
        {
            // A failed start owns the roles it created: nothing else will dispose them.
            foreach (var role in roles)
            {
                await role.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private static async Task<KeelServerHost> StartAsync(ServerSettings settings, KeelServerHostOptions options, List<ServerRole> roles)
    {
        if (settings.AdminToken is null && !ServerSettings.IsLoopback(settings.AdminAddress))
        {
            throw new KeelServerStartException(
                $"the admin listener would bind {settings.AdminAddress}, which other machines can reach, without a token: anyone there could register deployments and read every journal. " +
                "Set an admin token (--admin-token-file or KEEL_ADMIN_TOKEN), or bind the admin listener to 127.0.0.1 (--admin-bind) and keep --bind-address for the ingress.");
        }

        var storage = StorageOpener.Choose(settings, roles);
        RequestSigner signer;
        try
        {
            signer = settings.RequestIdentityPrivateKeyPemFile is { } pemFile ? RequestSigner.FromPemFile(pemFile) : RequestSigner.Unsigned;
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            throw new KeelServerStartException(e.Message, e);
        }

        // Opening the embedded storage (loading the native library, reading its manifest and log) is
        // the slowest part of a start: it runs while the web host is being built.
        var storeOpening = Task.Run(() => StorageOpener.Open(storage, settings));

        // The content root is the binary's folder and configuration files are not watched: the server
        // reads its settings itself, and watching the working directory would make start-up walk
        // whatever tree it was started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.AddConsoleLogFormat(settings);
        foreach (var role in roles)
        {
            role.ConfigureBuilder(builder, settings);
        }

        options.ConfigureLogging?.Invoke(builder.Logging);
        // One listener per role; the role stamped on each connection decides which routes answer
        // (ListenerRoleMatcherPolicy), never the Host header a client or a proxy chose.
        var internalListener = roles.Any(role => role.NeedsInternalListener(settings));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Parse(settings.IngressAddress), settings.IngressPort, listen => listen.UseRole(ListenerRole.Ingress));
            kestrel.Listen(IPAddress.Parse(settings.AdminAddress), settings.AdminPort, listen => listen.UseRole(ListenerRole.Admin));
            if (internalListener)
            {
                kestrel.Listen(IPAddress.Parse(settings.InternalAddress), settings.InternalPort, listen => listen.UseRole(ListenerRole.Internal));
            }

            kestrel.Limits.MaxRequestBodySize = settings.IngressMaxBodyBytes;
        });
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, ListenerRoleMatcherPolicy>());

        // Created and disposed (its poll stopped) by the app's container, on every path that disposes the app.
        builder.Services.AddSingleton(services => storage.OpenSchemaRegistry(settings, services.GetRequiredService<ILogger<SchemaRegistry>>()));
        builder.Services.AddSingleton(services => new Telemetry.StallMonitor(services.GetRequiredService<ILogger<Telemetry.StallMonitor>>()));
        var app = builder.Build();
        app.Services.GetRequiredService<Telemetry.StallMonitor>();
        var schema = app.Services.GetRequiredService<SchemaRegistry>();
        if (settings.Development)
        {
            app.Logger.LogInformation("Development profile: a failing invocation is retried 4 times within a few seconds, then paused (services and handlers that set their own retry policy keep it)");
        }

        if (settings.TestStoreFaultsFile is not null || settings.TestClockOffset != TimeSpan.Zero || settings.TestSchemaPollInterval is not null)
        {
            app.Logger.LogWarning("Testing seams on (never in production): store faults from {StoreFaults} (KEEL_TEST_STORE_FAULTS), wall clock shifted by {ClockOffset} (KEEL_TEST_CLOCK_OFFSET), shared schema read every {SchemaPoll} (KEEL_TEST_SCHEMA_POLL_INTERVAL)",
                settings.TestStoreFaultsFile ?? "none", settings.TestClockOffset, settings.TestSchemaPollInterval?.ToString() ?? "500 ms");
        }

        if (signer.PublicKey is { } publicKey)
        {
            app.Logger.LogInformation("Request identity: requests to deployments are signed; configure endpoints with the public key {PublicKey}", publicKey);
        }

        // The testing seam (never on by default): a wall clock shifted by an offset, a clock jump across a restart.
        var clock = settings.TestClockOffset == TimeSpan.Zero ? options.TimeProvider : new TestSeams.OffsetTimeProvider(options.TimeProvider, settings.TestClockOffset);
        var invoker = new HttpInvoker(clock, app.Services.GetRequiredService<ILogger<HttpInvoker>>()) { Signer = signer };
        var runtime = new KeelRuntime(settings.ApplyRetryDefaults(new RuntimeOptions
        {
            DataDirectory = settings.DataDirectory,
            Partitions = settings.Partitions,
            MaxProtocolVersion = settings.EnableProtocolV7 ? 7 : 6,
            CompletionRetention = settings.DefaultRetention,
            DefaultJournalRetention = settings.DefaultJournalRetention,
            FailOnAttemptError = options.FailOnAttemptError,
            DeadlockDetection = settings.DeadlockDetection,
            Processor = roles.Aggregate(new ProcessorOptions { CleanupInterval = settings.CleanupInterval }, (processor, role) => role.ConfigureProcessor(processor, settings)),
        }), schema, invoker, clock, app.Services.GetRequiredService<ILoggerFactory>());
        invoker.Sink = runtime;
        invoker.Activity = runtime.Activity;

        var server = new KeelServerHost(settings, app, runtime, invoker, roles) { StorageDescription = storage.Describe(settings) };
        runtime.Failed += failure =>
        {
            app.Logger.LogCritical(failure, "Keel server stopping: a partition failed");
            server.Failure = failure;
            app.Lifetime.StopApplication();
        };
        var gate = new StartGate();
        gate.UseIn(app);
        app.UseRuntimeErrorMapping(settings.IngressMaxBodyBytes);
        var guard = new AdminRequestGuard(new AdminAccessOptions
        {
            Token = settings.AdminToken,
            AllowedHosts = [.. settings.AdminAllowedHosts, .. settings.AdvertisedHost is { } advertised ? [advertised] : Array.Empty<string>()],
        });
        app.UseWhen(http => http.ListenerRole() == ListenerRole.Admin, admin => admin.Use(guard.InvokeAsync));
        var context = new ServerRoleContext(settings, runtime, schema)
        {
            IngressRoutes = app.MapGroup("").OnListener(ListenerRole.Ingress),
            AdminRoutes = app.MapGroup("").OnListener(ListenerRole.Admin),
            InternalRoutes = app.MapGroup("").OnListener(ListenerRole.Internal),
        };
        foreach (var role in roles)
        {
            role.Map(app, context);
        }

        IngressEndpoints.Map(context.IngressRoutes, schema, runtime, clock);
        AdminEndpoints.Map(context.AdminRoutes, settings, schema, new DiscoveryClient() { Signer = signer }, runtime,
            () => roles.Select(role => role.HealthDetails()).FirstOrDefault(details => details is not null));
        if (!roles.Any(role => role.AnswersSql))
        {
            NoSql.Map(context.AdminRoutes);
        }

        ConsoleEndpoints.Map(context.AdminRoutes);
        app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Keel server stopping"));

        // The ports open while storage is still opening (requests wait at the gate until the runtime serves).
        var listening = app.StartAsync();
        KeelServerStartException? failure = null;
        try
        {
            var (store, openedIn) = await storeOpening.ConfigureAwait(false);
            server._storageOpenedIn = openedIn;
            await storage.StartRuntimeAsync(store, runtime, settings, app.Logger).ConfigureAwait(false);
        }
        catch (StorageUnavailableException e)
        {
            failure = new KeelServerStartException(e.Message, e);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException || storage.IsUnavailable(e))
        {
            failure = new KeelServerStartException($"cannot start on {server.StorageDescription}: {e.Message}", e);
        }

        var listens = true;
        try
        {
            await listening.ConfigureAwait(false);
        }
        catch (IOException e)
        {
            listens = false;
            failure ??= new KeelServerStartException(
                $"cannot listen on ingress {settings.IngressAddress}:{settings.IngressPort}, admin {settings.AdminAddress}:{settings.AdminPort}"
                + (internalListener ? $", internal {settings.InternalAddress}:{settings.InternalPort}" : "") + $": {e.Message}", e);
        }

        if (failure is not null)
        {
            gate.Fail();
            if (listens)
            {
                await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }

            await DisposeRolesAsync(roles).ConfigureAwait(false);
            roles.Clear();
            await runtime.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await DisposeQuietly(app, invoker).ConfigureAwait(false);
            throw failure;
        }

        gate.Open();
        return server;
    }

    /// <summary>Stops accepting requests, stops the partitions (what was acknowledged is durable) and releases the storage.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await DisposeRolesAsync(_roles).ConfigureAwait(false);
        await _runtime.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await DisposeQuietly(_app, _invoker).ConfigureAwait(false);
    }

    /// <summary>Last plugged in, first disposed (a cluster node leaves before the partitions stop).</summary>
    private static async Task DisposeRolesAsync(IReadOnlyList<ServerRole> roles)
    {
        for (var i = roles.Count - 1; i >= 0; i--)
        {
            await roles[i].DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task DisposeQuietly(WebApplication app, HttpInvoker invoker)
    {
        invoker.Dispose();
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
