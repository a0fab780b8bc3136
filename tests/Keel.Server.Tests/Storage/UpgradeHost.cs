using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Conformance.Services;
using Keel.Sdk.AspNetCore;
using Keel.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Storage;

/// <summary>
/// A server started in-process on a given data directory (on a test clock when one is given), with
/// the conformance services the format-1 fixture was made with on an endpoint in this process.
/// </summary>
internal sealed class UpgradeHost : IAsyncDisposable
{
    private readonly WebApplication _endpoint;

    private UpgradeHost(KeelServerHost server, WebApplication endpoint, Uri endpointUrl)
    {
        Server = server;
        _endpoint = endpoint;
        EndpointUrl = endpointUrl;
        Ingress = new HttpClient { BaseAddress = server.IngressUrl, Timeout = TimeSpan.FromSeconds(60) };
        Admin = new HttpClient { BaseAddress = server.AdminUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    public KeelServerHost Server { get; }

    public Uri EndpointUrl { get; }

    public HttpClient Ingress { get; }

    public HttpClient Admin { get; }

    /// <summary>Starts the services' endpoint first (its address goes into <paramref name="beforeStart"/>), then the server.</summary>
    public static async Task<UpgradeHost> StartAsync(string dataDirectory, TimeProvider? clock = null, Action<Uri>? beforeStart = null, int partitions = 2)
    {
        var port = FreePort();
        var endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => k
            .AddService<Counter>()
            .AddService<BlockAndWaitWorkflow>()
            .AddService<CommandInterpreter>());
        await endpoint.StartAsync();
        var url = new Uri($"http://127.0.0.1:{port}");
        beforeStart?.Invoke(url);
        var settings = new ServerSettings { DataDirectory = dataDirectory, IngressPort = FreePort(), AdminPort = FreePort(), Partitions = partitions };
        var server = await FullServer.StartAsync(settings, new KeelServerHostOptions
        {
            TimeProvider = clock ?? TimeProvider.System,
            ConfigureLogging = logging => logging.ClearProviders(),
        });
        return new UpgradeHost(server, endpoint, url);
    }

    public async Task RegisterAsync()
    {
        using var response = await Admin.PostAsJsonAsync("/deployments", new { uri = EndpointUrl.ToString() });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>POSTs JSON to the ingress and returns the answer's body as JSON (status checked).</summary>
    public async Task<JsonNode?> CallAsync(string path, string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (json.Length > 0)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("idempotency-key", idempotencyKey);
        }

        using var response = await Ingress.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? null : JsonNode.Parse(body);
    }

    public async Task<JsonNode?> GetAsync(string path)
    {
        using var response = await Ingress.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return body.Length == 0 ? null : JsonNode.Parse(body);
    }

    /// <summary>The rows of an introspection query.</summary>
    public async Task<JsonArray> QueryAsync(string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await Admin.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return JsonNode.Parse(body)!["rows"]!.AsArray();
    }

    /// <summary>Unpacks a committed data-directory fixture (a .tar.gz next to the tests) into a new temp directory.</summary>
    public static string Unpack(string fixture)
    {
        var directory = Directory.CreateTempSubdirectory("keel-upgrade-").FullName;
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gzip, directory, overwriteFiles: false);
        return directory;
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Ingress.Dispose();
        Admin.Dispose();
        await Server.DisposeAsync();
        await _endpoint.DisposeAsync();
    }
}
