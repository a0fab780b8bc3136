using System.Net.Http.Json;
using System.Text.Json;
using Keel.TestSupport;
using Microsoft.Playwright;

namespace Keel.Console.Tests;

/// <summary>
/// A Keel server with the cli.mjs services registered, three deadlocks (A/k → B/k → A/k on three keys: one to look at,
/// one to cancel from its invocation's page, one to cancel from the invocations page's banner), a sleeping invocation and some object state; and headless Chromium (Debian's package, not a
/// Playwright download) to drive the console at /ui.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public const string ViewKey = "view-dl";
    public const string CancelKey = "cancel-dl";
    public const string BannerKey = "banner-dl";
    public const string SleepKey = "console";

    private KeelServerProcess? _server;
    private NodeServicesProcess? _services;
    private HeadlessChromium? _chromium;

    public KeelServerProcess Server => _server!;

    public AdminClient Admin { get; private set; } = null!;

    public string ViewRoot { get; private set; } = string.Empty;

    public string CancelRoot { get; private set; } = string.Empty;

    public string BannerRoot { get; private set; } = string.Empty;

    public string Sleeper { get; private set; } = string.Empty;

    /// <summary>Where screenshots go (printed by each test).</summary>
    public static string Artifacts { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    public Uri Console => new(Server.AdminUrl, "/ui/");

    public async Task InitializeAsync()
    {
        var launching = HeadlessChromium.LaunchAsync();
        _server = await KeelServerProcess.StartAsync();
        _services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
        Admin = new AdminClient(_server.AdminUrl);
        (await Admin.RegisterDeploymentAsync(_services.Url, useHttp11: true)).Dispose();

        using var ingress = new IngressClient(_server.IngressUrl);
        ViewRoot = await SendAsync(ingress, $"/A/{ViewKey}/hop", new[] { "B", "A" });
        CancelRoot = await SendAsync(ingress, $"/A/{CancelKey}/hop", new[] { "B", "A" });
        BannerRoot = await SendAsync(ingress, $"/A/{BannerKey}/hop", new[] { "B", "A" });
        Sleeper = await SendAsync(ingress, $"/Sleeper/{SleepKey}/sleep", 3_600_000);
        var put = await ingress.CallAsync("/Profile/alice/put", new Dictionary<string, object> { ["name"] = "alice", ["visits"] = 3 });
        Assert.True(put.IsSuccess, $"Profile/alice/put: {(int)put.Status} {put.Body}");

        // The deadlocks are complete once A/k's second hop waits in A/k's queue.
        await Eventually.UntilAsync(async () => await CountAsync(
            $"SELECT id FROM sys_invocation WHERE target_service_name = 'A' AND status = 'pending' AND target_service_key IN ('{ViewKey}', '{CancelKey}', '{BannerKey}')") == 3,
            TimeSpan.FromSeconds(30), "the deadlocks to form");
        _chromium = await launching;
    }

    private static async Task<string> SendAsync(IngressClient ingress, string path, object body)
    {
        var sent = await ingress.SendAsync(path, body);
        return sent.IsSuccess && sent.InvocationId is { } id ? id : throw new InvalidOperationException($"send {path}: {(int)sent.Status} {sent.Body}");
    }

    /// <summary>The rows of a SQL query through the admin API (what the console reads too).</summary>
    public async Task<IReadOnlyList<JsonElement>> QueryAsync(string sql)
    {
        using var http = new HttpClient { BaseAddress = Server.AdminUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{sql}: {(int)response.StatusCode} {body}");
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("rows").EnumerateArray().Select(r => r.Clone())];
    }

    private async Task<int> CountAsync(string sql) => (await QueryAsync(sql)).Count;

    public Task<IPage> NewPageAsync() => _chromium!.NewPageAsync();

    public async Task DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        Admin?.Dispose();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
