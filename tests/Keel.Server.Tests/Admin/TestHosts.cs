using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Ingress;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Admin;

/// <summary>A minimal Kestrel app on 127.0.0.1 and a free port.</summary>
internal static class Apps
{
    public static WebApplication Create(HttpProtocols protocols = HttpProtocols.Http1AndHttp2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = protocols));
        return builder.Build();
    }

    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal) + "/");
}

/// <summary>The admin API and the ingress of one schema registry (a temp data directory), in-process.</summary>
internal sealed class AdminHost : IAsyncDisposable
{
    private readonly WebApplication _admin;
    private readonly WebApplication _ingress;

    private AdminHost(string dataDirectory, WebApplication admin, WebApplication ingress, SchemaRegistry schema, FakeRuntime runtime)
    {
        DataDirectory = dataDirectory;
        _admin = admin;
        _ingress = ingress;
        Schema = schema;
        Runtime = runtime;
        Admin = new HttpClient { BaseAddress = Apps.Address(admin) };
        Ingress = new HttpClient { BaseAddress = Apps.Address(ingress) };
    }

    public string DataDirectory { get; }

    public SchemaRegistry Schema { get; }

    public FakeRuntime Runtime { get; }

    public HttpClient Admin { get; }

    public HttpClient Ingress { get; }

    public static async Task<AdminHost> StartAsync(string? dataDirectory = null, AdminOptions? options = null, IDiscoveryClient? discovery = null)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("keel-admin-").FullName;
        var schema = new SchemaRegistry(dataDirectory);
        var runtime = new FakeRuntime();
        var admin = Apps.Create();
        AdminEndpoints.Map(admin, schema, discovery ?? new DiscoveryClient(attempts: 1), runtime, options ?? new AdminOptions { IngressUrl = "http://127.0.0.1:8080/" });
        var ingress = Apps.Create();
        IngressEndpoints.Map(ingress, schema, runtime);
        await admin.StartAsync();
        await ingress.StartAsync();
        return new AdminHost(dataDirectory, admin, ingress, schema, runtime);
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is string raw)
        {
            request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var response = await Admin.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text), response);
    }

    public async Task<JsonNode> GetAsync(string path)
    {
        var (status, body, _) = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, status);
        return body!;
    }

    /// <summary>Registers an endpoint and expects success; returns the answer.</summary>
    public async Task<JsonNode> RegisterAsync(Uri uri, object? extra = null, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var body = new JsonObject { ["uri"] = uri.ToString() };
        if (extra is not null)
        {
            foreach (var (key, value) in JsonSerializer.SerializeToNode(extra)!.AsObject())
            {
                body[key] = value?.DeepClone();
            }
        }

        var (status, answer, _) = await SendAsync(HttpMethod.Post, "/deployments", body.Text());
        Assert.True(status == expected, $"expected {expected}, got {(int)status}: {answer?.Text()}");
        return answer!;
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Ingress.Dispose();
        await _admin.DisposeAsync();
        await _ingress.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}

/// <summary>A service endpoint that serves only <c>GET /discover</c>, with a manifest a test can change.</summary>
internal sealed class ManifestEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ManifestEndpoint(WebApplication app) => _app = app;

    public EndpointManifest Manifest { get; set; } = new();

    public string ContentType { get; set; } = EndpointManifest.ContentType(3);

    /// <summary>Replaces the manifest text (for malformed manifests); null serves <see cref="Manifest"/>.</summary>
    public string? RawBody { get; set; }

    public int Status { get; set; } = 200;

    public int Requests => _requests;

    private int _requests;

    public Uri Uri => Apps.Address(_app);

    public static async Task<ManifestEndpoint> StartAsync(EndpointManifest manifest, HttpProtocols protocols = HttpProtocols.Http2)
    {
        var app = Apps.Create(protocols);
        var endpoint = new ManifestEndpoint(app) { Manifest = manifest };
        app.MapGet("/discover", (HttpContext http) => endpoint.ServeAsync(http));
        await app.StartAsync();
        return endpoint;
    }

    /// <summary>The headers of the last discovery request (each with all its values).</summary>
    public IReadOnlyDictionary<string, string[]> LastHeaders { get; private set; } = new Dictionary<string, string[]>();

    private async Task ServeAsync(HttpContext http)
    {
        Interlocked.Increment(ref _requests);
        LastHeaders = http.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.Select(v => v ?? string.Empty).ToArray());
        http.Response.StatusCode = Status;
        http.Response.ContentType = ContentType;
        http.Response.Headers["x-restate-server"] = "keel-test-endpoint/1.0";
        await http.Response.WriteAsync(RawBody ?? Manifest.ToJson());
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>Manifests for the tests.</summary>
internal static class Manifests
{
    public static HandlerManifest Handler(string name, HandlerType? ty = null) => new()
    {
        Name = name,
        Ty = ty,
        Input = new InputPayload { ContentType = "application/json" },
        Output = new OutputPayload { ContentType = "application/json" },
    };

    public static EndpointManifest Of(params ServiceManifest[] services) => new()
    {
        ProtocolMode = ProtocolMode.BidiStream,
        MinProtocolVersion = 5,
        MaxProtocolVersion = 6,
        Services = services,
    };

    public static ServiceManifest Counter(HandlerType addKind = HandlerType.Exclusive) => new()
    {
        Name = "Counter",
        Ty = ServiceType.VirtualObject,
        Handlers = [Handler("add", addKind), Handler("get", HandlerType.Shared)],
    };

    public static ServiceManifest Greeter(params string[] handlers) => new()
    {
        Name = "Greeter",
        Ty = ServiceType.Service,
        Handlers = [.. (handlers.Length == 0 ? ["greet"] : handlers).Select(h => Handler(h))],
    };

    public static ServiceManifest Signup() => new()
    {
        Name = "Signup",
        Ty = ServiceType.Workflow,
        Handlers = [Handler("run", HandlerType.Workflow), Handler("status", HandlerType.Shared)],
    };
}

/// <summary>A runtime that records what the HTTP layer asks of it.</summary>
internal sealed class FakeRuntime : IRuntimeApi
{
    public List<(AwakeableId Id, InvocationResult Result)> Awakeables { get; } = [];

    public List<InvocationRequest> Submitted { get; } = [];

    public Exception? Failure => null;

    public IReadOnlyList<Keel.Server.Deadlocks.DeadlockCycle> Deadlocks => [];

    public Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        Submitted.Add(request);
        return Task.FromResult(new SubmitResult(InvocationId.New(), SubmitStatus.Accepted, new InvocationResult.Success(Array.Empty<byte>())));
    }

    public Task<OutputResult> GetOutputAsync(InvocationQuery query, bool wait, CancellationToken cancellationToken) =>
        Task.FromResult(new OutputResult(OutputStatus.NotFound, null, null));

    public Task CompleteAwakeableAsync(AwakeableId awakeable, InvocationResult result, CancellationToken cancellationToken)
    {
        Awakeables.Add((awakeable, result));
        return Task.CompletedTask;
    }

    public Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> PurgeJournalAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> PauseAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> ResumeAsync(InvocationId id, ResumeDeployment deployment, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> RestartAsNewAsync(InvocationId id, CancellationToken cancellationToken) => Task.FromResult(new ControlResult(ControlStatus.NotFound));

    public Task<ControlResult> ReplaceStateAsync(string service, string key, string? expectedVersion, IReadOnlyDictionary<string, byte[]> newState, CancellationToken cancellationToken) =>
        Task.FromResult(new ControlResult(ControlStatus.NotFound));
}

internal static class JsonText
{
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The JSON text with punctuation unescaped, as the server writes it.</summary>
    public static string Text(this JsonNode node) => node.ToJsonString(Readable);
}
