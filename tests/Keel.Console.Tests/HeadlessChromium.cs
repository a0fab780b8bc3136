using Microsoft.Playwright;

namespace Keel.Console.Tests;

/// <summary>Headless Chromium (Debian's package, not a Playwright download) for one fixture; a fresh browser context per page.</summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("KEEL_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(chromium))
        {
            throw new FileNotFoundException($"{chromium} is missing: install Debian's chromium package (apt-get install chromium; scripts/test does it) or set KEEL_CHROMIUM.");
        }

        var playwright = await Playwright.CreateAsync();
        try
        {
            return new HeadlessChromium(playwright, await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true }));
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>A page in a context of its own: its own cookies and sessionStorage, like a new browser session.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        return await context.NewPageAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
