using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Hosting;
using Keel.Server.Tests.Admin;
using Keel.Server.Tests.Storage;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// One complete server (every role, SQL included; the development profile's short retries) for the fuzz
/// tests, with fuzz deployments of protocol V5, V6 and V7 registered, and a log that keeps every error the
/// server logged: a request that escaped its handler shows there as ASP.NET Core's "unhandled exception".
/// </summary>
public sealed class FuzzServer : IAsyncLifetime
{
    private readonly ConcurrentQueue<string> _errors = new();
    private KeelServerHost _host = null!;

    internal FuzzDeployment[] Deployments { get; private set; } = [];

    /// <summary>Keyed services answered by fuzzed attempts, one per protocol version (V5, V6, V7).</summary>
    public static readonly string[] FuzzedServices = ["FuzzFive", "FuzzSix", "FuzzSeven"];

    public HttpClient Ingress { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Deployments =
        [
            await FuzzDeployment.StartAsync(5, Keyed("FuzzFive"), Manifests.Greeter(), Manifests.Signup()),
            await FuzzDeployment.StartAsync(6, Keyed("FuzzSix"), Manifests.Counter()),
            await FuzzDeployment.StartAsync(7, Keyed("FuzzSeven"), Keyed("Scratch")),
        ];
        _host = await FullServer.StartAsync(new ServerSettings
        {
            DataDirectory = Directory.CreateTempSubdirectory("keel-fuzz-").FullName,
            IngressPort = UpgradeHost.FreePort(),
            AdminPort = UpgradeHost.FreePort(),
            EnableProtocolV7 = true,
            Development = true,
        }, new KeelServerHostOptions { ConfigureLogging = logging => logging.ClearProviders().AddProvider(new ErrorLog(_errors)) });
        Ingress = new HttpClient { BaseAddress = _host.IngressUrl, Timeout = TimeSpan.FromSeconds(60) };
        Admin = new HttpClient { BaseAddress = _host.AdminUrl, Timeout = TimeSpan.FromSeconds(60) };
        foreach (var deployment in Deployments)
        {
            using var registered = await Admin.PostAsJsonAsync("/deployments", new { uri = deployment.Uri.ToString() });
            Assert.True(registered.StatusCode == HttpStatusCode.Created, await registered.Content.ReadAsStringAsync());
        }
    }

    /// <summary>The deployment that serves the service.</summary>
    internal FuzzDeployment DeploymentOf(string service) => Deployments.Single(d => d.Manifest.Services.Any(s => s.Name == service));

    /// <summary>
    /// The server is still whole: no partition stopped, no error logged (an exception that escaped a request or a
    /// partition's apply), and a plain call still answers.
    /// </summary>
    public async Task AssertHealthyAsync(string context)
    {
        Assert.True(_host.Failure is null, $"{context}: the server failed: {_host.Failure}");
        var errors = new List<string>();
        while (_errors.TryDequeue(out var error))
        {
            errors.Add(error);
        }

        Assert.True(errors.Count == 0, $"{context}: the server logged errors:\n{string.Join("\n", errors)}");
        using var call = await Ingress.PostAsync(new Uri("/Greeter/greet", UriKind.Relative), new StringContent("\"plain\"", Encoding.UTF8, "application/json"));
        Assert.True(call.StatusCode == HttpStatusCode.OK, $"{context}: a plain call got {(int)call.StatusCode}: {await call.Content.ReadAsStringAsync()}");
    }

    /// <summary>
    /// The status is one a client can act on: an invocation's own terminal error (any code, with its message),
    /// or else no 5xx other than 501/503 — never a 500 without a message, an exception that escaped to
    /// Kestrel's own answer.
    /// </summary>
    public static async Task AssertAnsweredAsync(HttpResponseMessage response, string context)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var terminal = response.Headers.TryGetValues("x-restate-error-source", out var source) && source.Single() == "invocation";
        if (status >= 500 && !terminal)
        {
            Assert.True(status is 501 or 503, $"{context}: {status} {text}");
        }

        // An error says what was wrong; an empty 4xx is ASP.NET Core's own for a path no route takes (and a
        // HEAD's answer has no body by definition).
        if (status >= 500 || (status >= 400 && text.Length > 0))
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json", $"{context}: {status} without a JSON message: {text}");
            Assert.True(MessageOf(text) is not null, $"{context}: {status} without a message: {text}");
        }
    }

    private static string? MessageOf(string json)
    {
        try
        {
            return (string?)JsonNode.Parse(json)?["message"];
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static ServiceManifest Keyed(string name) => new()
    {
        Name = name,
        Ty = ServiceType.VirtualObject,
        Handlers = [Manifests.Handler("run", HandlerType.Exclusive), Manifests.Handler("look", HandlerType.Shared)],
    };

    public async Task DisposeAsync()
    {
        Ingress.Dispose();
        Admin.Dispose();
        await _host.DisposeAsync();
        foreach (var deployment in Deployments)
        {
            await deployment.DisposeAsync();
        }

        try
        {
            Directory.Delete(_host.Settings.DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }

    /// <summary>Keeps errors (and worse) with their category and exception.</summary>
    private sealed class ErrorLog(ConcurrentQueue<string> errors) : ILoggerProvider, ILogger
    {
        private string _category = "";

        public ILogger CreateLogger(string categoryName) => new ErrorLog(errors) { _category = categoryName };

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{logLevel} {_category}: {formatter(state, exception)} {exception}");
            }
        }

        public void Dispose()
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FuzzServerCollection : ICollectionFixture<FuzzServer>
{
    public const string Name = "fuzz server";
}
