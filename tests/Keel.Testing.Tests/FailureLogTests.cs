using Keel.Sdk;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Testing.Tests;

/// <summary>What the endpoint's log says about failures: a bug as a Warning with its stack, an intended TerminalException once, at Information, without one.</summary>
public sealed class FailureLogTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    private static Task<KeelTestEnvironment> StartAsync(CapturedLogs logs) => KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
    {
        ConfigureKeel = k => k.AddService<Grumpy>().AddService<Buggy>(),
        ConfigureServices = services => services.AddSingleton<AttemptCounter>(),
        ConfigureLogging = logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Information),
    });

    [Fact]
    public async Task A_terminal_exception_is_logged_once_at_information_without_a_stack()
    {
        using var logs = new CapturedLogs();
        await using var env = await StartAsync(logs);

        await Assert.ThrowsAsync<TerminalException>(() => env.Client.Service<GrumpyIngressClient>().GreetAsync("Bob").WaitAsync(Soon));

        var entry = Assert.Single(logs.Entries, e => e.Message.Contains("go away, Bob", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Equal("Keel.Grumpy", entry.Category);
        Assert.Null(entry.Exception);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Keel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failed_attempt_is_a_warning_with_the_exception_and_what_happens_next()
    {
        using var logs = new CapturedLogs();
        await using var env = await StartAsync(logs);

        await Assert.ThrowsAsync<TerminalException>(() => env.Client.Service<BuggyIngressClient>().GreetAsync("Ada").WaitAsync(Soon));

        var entry = Assert.Single(logs.Entries, e => e.Category == "Keel.Buggy");
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal("no greeting for Ada", Assert.IsType<InvalidOperationException>(entry.Exception).Message);
        Assert.Contains("(Buggy/greet) attempt 1 failed; the runtime retries it", entry.Message, StringComparison.Ordinal);
    }
}
