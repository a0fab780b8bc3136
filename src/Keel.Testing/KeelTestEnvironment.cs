using System.Net.Http.Json;
using Keel.Client;
using Keel.Sdk.AspNetCore;
using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Testing;

/// <summary>
/// A Keel server and the services under test, in this process, for one test or test class:
/// <code>
/// await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService&lt;Signup&gt;());
/// var result = await env.Client.Workflow&lt;SignupIngressClient&gt;("wf-1").RunAsync(user);
/// </code>
/// The server keeps its embedded storage in a new temporary directory and listens on loopback ports;
/// the services are registered with it. Durable time runs on <see cref="Time"/>, which skips ahead
/// when nothing else can happen. Disposing stops both and deletes the directory.
/// </summary>
public sealed class KeelTestEnvironment : IAsyncDisposable
{
    private const int BindAttempts = 5;
    private readonly KeelServerHost _server;
    private readonly WebApplication _endpoint;
    private readonly HttpClient _http;
    private readonly TimeSkipper _skipper;
    private int _disposed;

    private KeelTestEnvironment(string dataDirectory, KeelServerHost server, WebApplication endpoint, Uri endpointUrl, KeelTestClock clock, HttpClient http, KeelClient client)
    {
        DataDirectory = dataDirectory;
        _server = server;
        _endpoint = endpoint;
        EndpointUrl = endpointUrl;
        Time = clock;
        _http = http;
        Client = client;
        _skipper = new TimeSkipper(clock, server.Runtime);
    }

    /// <summary>The in-process server (tests of this package read its runtime directly).</summary>
    internal KeelServerHost Server => _server;

    /// <summary>A client of the server's ingress, with the services' serializer settings; the generated ingress clients work on it.</summary>
    public IKeelClient Client { get; }

    /// <summary>The clock of durable time (timers, delayed sends, <c>ctx</c> time): advance it, or let it skip on its own.</summary>
    public KeelTestClock Time { get; }

    /// <summary>The server's ingress (for HTTP requests of your own).</summary>
    public Uri IngressUrl => _server.IngressUrl;

    /// <summary>The server's admin API (deployments, invocations, <c>/query</c>).</summary>
    public Uri AdminUrl => _server.AdminUrl;

    /// <summary>Where the services under test are served (registered with the server as a deployment).</summary>
    public Uri EndpointUrl { get; }

    /// <summary>The temporary directory holding the server's storage; deleted on dispose.</summary>
    public string DataDirectory { get; }

    /// <summary>The services' container (what <see cref="KeelTestEnvironmentOptions.ConfigureServices"/> registered).</summary>
    public IServiceProvider Services => _endpoint.Services;

    /// <summary>Starts an environment hosting the services that <paramref name="configureKeel"/> adds.</summary>
    /// <param name="configureKeel">The services to host: <c>k => k.AddService&lt;Signup&gt;()</c>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static Task<KeelTestEnvironment> StartAsync(Action<KeelBuilder> configureKeel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configureKeel);
        return StartAsync(new KeelTestEnvironmentOptions { ConfigureKeel = configureKeel }, cancellationToken);
    }

    /// <summary>Starts an environment: server, services, registration, client and clock.</summary>
    /// <param name="options">What to host and how time moves.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="KeelServerStartException">The server could not start (after retries on ports taken meanwhile).</exception>
    public static async Task<KeelTestEnvironment> StartAsync(KeelTestEnvironmentOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = new KeelTestClock { AutoSkip = options.AutoSkipTime };
        var dataDirectory = Directory.CreateTempSubdirectory("keel-test-").FullName;
        KeelServerHost? server = null;
        WebApplication? endpoint = null;
        HttpClient? http = null;
        try
        {
            server = await StartServerAsync(options, clock, dataDirectory).ConfigureAwait(false);
            clock.Attach(new RuntimeProbe(server.Runtime));
            (endpoint, var endpointUrl) = await ServicesEndpoint.StartAsync(options, clock, cancellationToken).ConfigureAwait(false);
            await RegisterAsync(server.AdminUrl, endpointUrl, cancellationToken).ConfigureAwait(false);
            http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
            var client = new KeelClient(http, new KeelClientOptions
            {
                IngressUrl = server.IngressUrl,
                JsonSerializerOptions = endpoint.Services.GetRequiredService<KeelBuilder>().Json.JsonSerializerOptions,
            });
            return new KeelTestEnvironment(dataDirectory, server, endpoint, endpointUrl, clock, http, client);
        }
        catch
        {
            http?.Dispose();
            if (endpoint is not null)
            {
                await endpoint.DisposeAsync().ConfigureAwait(false);
            }

            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            DeleteDirectory(dataDirectory);
            throw;
        }
    }

    /// <summary>
    /// Completes when the runtime has nothing to do: no command queued or being applied, no invocation
    /// attempt running. Use it after a send to wait until its effects are visible; timers still pending
    /// do not count (advance <see cref="Time"/> for them).
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task WaitForIdleAsync(CancellationToken cancellationToken = default) => _server.Runtime.Activity.WhenIdleAsync(cancellationToken);

    /// <summary>Stops the services and the server, frees their ports and deletes the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The server first: its attempts end with it, so none is left failing against a stopped endpoint.
        try
        {
            await _skipper.DisposeAsync().ConfigureAwait(false);
            _http.Dispose();
            await _server.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try
            {
                await _endpoint.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await _endpoint.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                DeleteDirectory(DataDirectory);
            }
        }
    }

    private static async Task<KeelServerHost> StartServerAsync(KeelTestEnvironmentOptions options, KeelTestClock clock, string dataDirectory)
    {
        for (var attempt = 1; ; attempt++)
        {
            var settings = new ServerSettings
            {
                DataDirectory = dataDirectory,
                IngressPort = TestPorts.Next(),
                AdminPort = TestPorts.Next(),
                BindAddress = "127.0.0.1",
                Development = true,
            };
            try
            {
                return await KeelServerHost.StartAsync(settings, new KeelServerHostOptions
                {
                    TimeProvider = clock,
                    FailOnAttemptError = options.FailOnFirstAttemptError,
                    ConfigureLogging = logging =>
                    {
                        logging.ClearProviders();
                        options.ConfigureLogging?.Invoke(logging);
                    },
                }).ConfigureAwait(false);
            }
            catch (KeelServerStartException e) when (e.InnerException is IOException && attempt < BindAttempts)
            {
                // A port was taken after it was found free: the server released everything; try new ports.
            }
        }
    }

    private static async Task RegisterAsync(Uri admin, Uri endpoint, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await http.PostAsJsonAsync(new Uri(admin, "deployments"), new { uri = endpoint.AbsoluteUri, use_http_11 = true }, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new InvalidOperationException($"Keel.Testing could not register the services at {endpoint} with the server: {(int)response.StatusCode} {body}");
        }
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Gone already.
        }
    }
}
