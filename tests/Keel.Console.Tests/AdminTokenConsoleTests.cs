using Keel.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Keel.Console.Tests;

/// <summary>
/// The console against a server whose admin API asks for a bearer token: the page asks once per browser session
/// (again, with a message, after a wrong token), keeps it in sessionStorage and sends it on every request.
/// </summary>
public sealed class AdminTokenConsoleTests(AdminTokenConsoleTests.TokenServer server, ITestOutputHelper output)
    : IClassFixture<AdminTokenConsoleTests.TokenServer>, IAsyncLifetime
{
    public const string Token = "console-tests-0123456789abcdef";

    private static readonly LocatorAssertionsToBeVisibleOptions Slow = new() { Timeout = 20_000 };
    private readonly List<string> _errors = [];
    private readonly List<IPage> _pages = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var page in _pages)
        {
            await page.Context.CloseAsync();
        }

        Assert.Empty(_errors);
    }

    /// <summary>A page in a new browser session, failing the test on any script error.</summary>
    private async Task<IPage> NewSessionAsync()
    {
        var page = await server.Chromium.NewPageAsync();
        _pages.Add(page);
        page.PageError += (_, error) => _errors.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            // Each 401 the console answers by asking is logged by Chromium as a failed resource: not a script error.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _errors.Add("console error: " + message.Text);
            }
        };
        return page;
    }

    private static ILocator TokenDialog(IPage page) => page.GetByRole(AriaRole.Dialog, new() { Name = "Admin token" });

    [Fact]
    public async Task The_console_asks_for_the_token_once_per_session_and_then_every_page_loads()
    {
        var page = await NewSessionAsync();
        await page.GotoAsync(server.Console + "#/services");
        var dialog = TokenDialog(page);
        await Expect(dialog).ToContainTextAsync("needs a token", new() { Timeout = 20_000 });

        await dialog.GetByLabel("Token").FillAsync("wrong-token-0123456789abcdef");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Use token" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync("refused that token");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("token-refused") });

        // Enter submits with "Use token".
        await dialog.GetByLabel("Token").FillAsync(Token);
        await dialog.GetByLabel("Token").PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Signup", Exact = true })).ToBeVisibleAsync(Slow);
        await Expect(dialog).ToBeHiddenAsync();
        Assert.Equal(Token, await page.EvaluateAsync<string>("sessionStorage.getItem('keel.adminToken')"));

        // Later requests, and the same tab reloaded, send it without asking.
        await page.GotoAsync(server.Console + "#/invocations");
        await Expect(page.Locator($"tr[data-id='{server.Sleeper}']")).ToBeVisibleAsync(Slow);
        await page.ReloadAsync();
        await Expect(page.Locator($"tr[data-id='{server.Sleeper}']")).ToBeVisibleAsync(Slow);
        await Expect(dialog).ToBeHiddenAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("token-invocations") });

        // A new browser session asks again.
        var other = await NewSessionAsync();
        await other.GotoAsync(server.Console + "#/invocations");
        await Expect(TokenDialog(other)).ToContainTextAsync("needs a token", new() { Timeout = 20_000 });
    }

    [Fact]
    public async Task Cancelling_shows_why_the_page_is_empty_and_stops_asking()
    {
        var page = await NewSessionAsync();
        await page.GotoAsync(server.Console + "#/deployments");
        var dialog = TokenDialog(page);
        await Expect(dialog).ToBeVisibleAsync(Slow);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(page.Locator(".notice.error").First).ToContainTextAsync("needs a token", new() { Timeout = 20_000 });
        await Expect(dialog).ToBeHiddenAsync();

        // The invocations page polls: it shows the same error instead of opening the dialog again.
        await page.GotoAsync(server.Console + "#/invocations");
        await Expect(page.Locator(".notice.error").First).ToContainTextAsync("needs a token", new() { Timeout = 20_000 });
        await Expect(dialog).ToBeHiddenAsync();
    }

    private string Screenshot(string name)
    {
        var path = Path.Combine(ConsoleFixture.Artifacts, name + ".png");
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>A Keel server with an admin token, the cli.mjs services registered (with the token) and one sleeping invocation.</summary>
    public sealed class TokenServer : IAsyncLifetime
    {
        private KeelServerProcess? _server;
        private NodeServicesProcess? _services;
        private HeadlessChromium? _chromium;

        public HeadlessChromium Chromium => _chromium!;

        public Uri Console => new(_server!.AdminUrl, "/ui/");

        public string Sleeper { get; private set; } = string.Empty;

        public async Task InitializeAsync()
        {
            var launching = HeadlessChromium.LaunchAsync();
            _server = await KeelServerProcess.StartAsync(new KeelServerOptions { AdminToken = Token });
            _services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
            using (var admin = new AdminClient(_server.AdminUrl, Token))
            {
                (await admin.RegisterDeploymentAsync(_services.Url, useHttp11: true)).Dispose();
            }

            using var ingress = new IngressClient(_server.IngressUrl);
            var sent = await ingress.SendAsync("/Sleeper/token/sleep", 3_600_000);
            Sleeper = sent.IsSuccess && sent.InvocationId is { } id ? id : throw new InvalidOperationException($"send: {(int)sent.Status} {sent.Body}");
            _chromium = await launching;
        }

        public async Task DisposeAsync()
        {
            if (_chromium is not null)
            {
                await _chromium.DisposeAsync();
            }

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
}
