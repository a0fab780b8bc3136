using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Keel.Console.Tests;

/// <summary>The web console in headless Chromium: each page against a server holding deadlocks, a sleeper and state.</summary>
public sealed class ConsoleTests(ConsoleFixture fixture, ITestOutputHelper output) : IClassFixture<ConsoleFixture>, IAsyncLifetime
{
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 20_000 };
    private readonly List<string> _errors = [];
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        _page = await fixture.NewPageAsync();
        _page.PageError += (_, error) => _errors.Add("page error: " + error);
        _page.Console += (_, message) =>
        {
            // A 4xx answer the page shows on purpose is logged by Chromium as a failed resource: not a script error.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                _errors.Add("console error: " + message.Text);
            }
        };
    }

    public async Task DisposeAsync()
    {
        await _page.Context.CloseAsync();
        Assert.Empty(_errors);
    }

    private async Task ScreenshotAsync(string name)
    {
        var path = Path.Combine(ConsoleFixture.Artifacts, name + ".png");
        await _page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine($"screenshot: {path}");
    }

    private Task GotoAsync(string hash = "") => _page.GotoAsync(fixture.Console + hash);

    [Fact]
    public async Task Root_redirects_to_the_console_served_with_its_assets()
    {
        var response = await _page.GotoAsync(fixture.Server.AdminUrl.ToString());
        Assert.NotNull(response);
        Assert.EndsWith("/ui/", _page.Url, StringComparison.Ordinal);
        Assert.Equal("no-cache", await response.HeaderValueAsync("cache-control"));
        Assert.StartsWith("text/html", await response.HeaderValueAsync("content-type"), StringComparison.Ordinal);
        await Expect(_page.GetByRole(AriaRole.Heading, new() { Name = "Invocations" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Invocations_list_shows_the_suspended_sleeper_and_filters_by_service()
    {
        await GotoAsync();
        var sleeper = _page.Locator($"tr[data-id='{fixture.Sleeper}']");
        await Expect(sleeper).ToContainTextAsync($"Sleeper/{ConsoleFixture.SleepKey}/sleep", Slow);
        await Expect(sleeper.Locator(".badge")).ToHaveTextAsync("suspended");
        await Expect(_page.Locator($"tr[data-id='{fixture.ViewRoot}']")).ToBeVisibleAsync();
        await ScreenshotAsync("invocations");

        await _page.GetByLabel("Service").SelectOptionAsync("Sleeper");
        await Expect(_page.Locator($"tr[data-id='{fixture.ViewRoot}']")).ToHaveCountAsync(0);
        await Expect(sleeper).ToBeVisibleAsync();
        Assert.Contains("service=Sleeper", _page.Url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invocation_page_shows_the_journal_and_the_deadlock_as_a_cycle()
    {
        await GotoAsync($"#/invocations/{fixture.ViewRoot}");
        var journal = _page.Locator("section[aria-labelledby='journal-title']");
        var call = journal.Locator("tr", new() { HasText = "Command: Call" });
        await Expect(call).ToContainTextAsync($"B/{ConsoleFixture.ViewKey}/hop", Slow);
        await Expect(call).ToContainTextAsync("waiting");

        var k = ConsoleFixture.ViewKey;
        await Expect(_page.Locator("[data-cycle]")).ToContainTextAsync($"cycle: A/{k} → B/{k} → A/{k}", Slow);
        var tree = _page.GetByRole(AriaRole.List, new() { Name = "Call tree" });
        await Expect(tree.Locator(".node.in-cycle")).ToHaveCountAsync(4); // the root (twice: at the top and closing the cycle), B/k, the queued A/k
        await Expect(tree).ToContainTextAsync($"waits for the lock of A/{k}");
        await ScreenshotAsync("invocation-cycle");

        // The callee's page: its caller above it, and the same cycle seen from B.
        await call.GetByRole(AriaRole.Link, new() { Name = $"B/{k}/hop" }).ClickAsync();
        await Expect(_page.Locator("[data-cycle]")).ToContainTextAsync($"cycle: B/{k} → A/{k} → B/{k}", Slow);
        await Expect(_page.Locator("ul.callers")).ToContainTextAsync($"A/{k}/hop");
        await Expect(_page.Locator("dl.facts")).ToContainTextAsync(fixture.ViewRoot);
    }

    [Fact]
    public async Task Cancel_button_ends_the_stuck_root_and_the_list_updates()
    {
        var k = ConsoleFixture.CancelKey;
        await GotoAsync($"#/invocations?key={k}");
        await Expect(_page.Locator("tbody tr")).ToHaveCountAsync(3, new() { Timeout = 20_000 });

        await _page.Locator($"tr[data-id='{fixture.CancelRoot}'] a").First.ClickAsync();
        await Expect(_page.Locator("[data-cycle]")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync(fixture.CancelRoot);
        await ScreenshotAsync("cancel-confirm");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel invocation" }).ClickAsync();
        await Expect(_page.Locator(".notice.ok")).ToContainTextAsync("cancel: 202");
        await Expect(_page.Locator("dl.facts .badge")).ToHaveTextAsync(new Regex("completed"), new() { Timeout = 20_000 });

        await _page.GetByRole(AriaRole.Link, new() { Name = "← Invocations" }).ClickAsync();
        await _page.GetByLabel("Key").FillAsync(k);
        await _page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(_page.GetByText("No invocations match.")).ToBeVisibleAsync(new() { Timeout = 20_000 });

        // The whole chain ended, and the key serves again.
        Assert.Empty(await fixture.QueryAsync($"SELECT id FROM sys_invocation WHERE target_service_key = '{k}' AND status <> 'completed'"));

        // Cancelling it again: the server's 409 is shown.
        await GotoAsync($"#/invocations/{fixture.CancelRoot}");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Cancel", Exact = true }).ClickAsync();
        await _page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel invocation" }).ClickAsync();
        await Expect(_page.Locator(".notice.error")).ToContainTextAsync("409");
    }

    [Fact]
    public async Task Invocations_page_names_each_deadlocks_invocations_and_cancels_one_from_the_banner()
    {
        await GotoAsync();
        var k = ConsoleFixture.BannerKey;
        var banner = BannerOf(fixture.BannerRoot);
        await Expect(banner).ToContainTextAsync("Deadlock: 3 invocations wait for each other in a cycle", Slow);
        await Expect(banner.Locator("li")).ToHaveCountAsync(3);
        await Expect(banner.Locator("li", new() { HasText = $"B/{k}/hop" })).ToContainTextAsync("waits on the next one's call result");
        await Expect(banner.Locator("li", new() { HasText = "key lock" })).ToContainTextAsync($"A/{k}/hop");
        await Expect(banner.GetByRole(AriaRole.Button)).ToHaveCountAsync(3);
        await Expect(BannerOf(fixture.ViewRoot)).ToBeVisibleAsync();
        await ScreenshotAsync("invocations-deadlocks");

        // Back first: nothing is cancelled.
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await banner.GetByRole(AriaRole.Button, new() { Name = $"Cancel {fixture.BannerRoot}" }).ClickAsync();
        await Expect(dialog).ToContainTextAsync(fixture.BannerRoot);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Back" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();
        Assert.Single(await fixture.QueryAsync($"SELECT id FROM keel_deadlocks WHERE id = '{fixture.BannerRoot}'"));

        // Then the cancel: the cycle breaks and leaves the banner; the other deadlock stays.
        await banner.GetByRole(AriaRole.Button, new() { Name = $"Cancel {fixture.BannerRoot}" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel invocation" }).ClickAsync();
        await Expect(_page.Locator(".notice.ok")).ToContainTextAsync("cancel: 202");
        await Expect(banner).ToHaveCountAsync(0, new() { Timeout = 20_000 });
        await Expect(BannerOf(fixture.ViewRoot)).ToBeVisibleAsync();
        await Keel.TestSupport.Eventually.UntilAsync(
            async () => (await fixture.QueryAsync($"SELECT id FROM sys_invocation WHERE target_service_key = '{k}' AND status <> 'completed'")).Count == 0,
            TimeSpan.FromSeconds(30), "the cancelled chain to end");
    }

    private ILocator BannerOf(string root) => _page.Locator("[data-deadlock]", new() { Has = _page.Locator($"li[data-id='{root}']") });

    [Fact]
    public async Task Services_page_edits_a_workflows_retention()
    {
        await GotoAsync("#/services");
        await _page.GetByRole(AriaRole.Link, new() { Name = "Signup", Exact = true }).ClickAsync();
        var retention = _page.GetByLabel("Workflow completion retention");
        await Expect(retention).ToBeVisibleAsync();

        await retention.FillAsync("forever");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(_page.Locator("#e-workflow_completion_retention")).ToContainTextAsync("A duration");

        await retention.FillAsync("10 parsecs");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(_page.Locator(".notice.error")).ToContainTextAsync("400");

        await retention.FillAsync("2d");
        await _page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(_page.Locator(".notice.ok")).ToContainTextAsync("workflow_completion_retention = 2d");
        await Expect(retention).ToHaveValueAsync("2d");
        await ScreenshotAsync("service-settings");

        var (status, body) = await fixture.Admin.GetJsonAsync("/services/Signup");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        Assert.Equal("2d", body!.Value.GetProperty("workflow_completion_retention").GetString());

        await GotoAsync("#/services");
        await Expect(_page.Locator("tr", new() { HasText = "Signup" })).ToContainTextAsync("2d");
        await ScreenshotAsync("services");
    }

    [Fact]
    public async Task State_page_decodes_an_objects_values()
    {
        await GotoAsync("#/state");
        await _page.GetByLabel("Object or workflow").SelectOptionAsync("Profile");
        await _page.GetByRole(AriaRole.Button, new() { Name = "alice" }).ClickAsync();
        var visits = _page.Locator("tr", new() { HasText = "visits" });
        await Expect(visits).ToContainTextAsync("3");
        await Expect(_page.Locator("tr", new() { HasText = "name" }).Locator("pre")).ToHaveTextAsync("\"alice\"");
        await ScreenshotAsync("state");
    }

    [Fact]
    public async Task Deployments_page_lists_the_endpoint_and_its_services()
    {
        await GotoAsync("#/deployments");
        var row = _page.Locator("tbody tr").First;
        await Expect(row).ToContainTextAsync("dp_");
        await Expect(row).ToContainTextAsync("RequestResponse");
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = "Approval" })).ToBeVisibleAsync();
        await ScreenshotAsync("deployments");
    }
}
