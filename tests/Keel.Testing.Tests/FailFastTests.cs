using Keel.Sdk;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Testing.Tests;

/// <summary>A handler's bug in a test: by default the call fails at once with it; opted out, the development retry policy applies.</summary>
public sealed class FailFastTests
{
    // Far above what a failing first attempt takes, far below the hour a default server retries for.
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_handler_that_throws_fails_the_call_after_its_first_attempt_with_the_exception()
    {
        await using var env = await KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
        {
            ConfigureKeel = k => k.AddService<Buggy>(),
            ConfigureServices = services => services.AddSingleton<AttemptCounter>(),
        });

        var error = await Assert.ThrowsAsync<TerminalException>(() => env.Client.Service<BuggyIngressClient>().GreetAsync("Ada").WaitAsync(Soon));

        Assert.StartsWith("no greeting for Ada", error.Message, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: no greeting for Ada", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{nameof(Buggy)}.{nameof(Buggy.Greet)}", error.Message, StringComparison.Ordinal);   // the stack
        Assert.Equal(500, error.Code);
        Assert.Equal(1, env.Services.GetRequiredService<AttemptCounter>().Count);
    }

    [Fact]
    public async Task The_failure_of_a_called_handler_reaches_the_client_through_its_caller()
    {
        await using var env = await KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
        {
            ConfigureKeel = k => k.AddService<Buggy>().AddService<BuggyCaller>(),
            ConfigureServices = services => services.AddSingleton<AttemptCounter>(),
        });

        var error = await Assert.ThrowsAsync<TerminalException>(() => env.Client.Service<BuggyCallerIngressClient>().GreetAsync("Bo").WaitAsync(Soon));

        Assert.StartsWith("no greeting for Bo", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, env.Services.GetRequiredService<AttemptCounter>().Count);
    }

    [Fact]
    public async Task Opted_out_a_failing_invocation_is_retried_by_the_development_policy_then_paused()
    {
        await using var env = await KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
        {
            ConfigureKeel = k => k.AddService<Buggy>(),
            ConfigureServices = services => services.AddSingleton<AttemptCounter>(),
            FailOnFirstAttemptError = false,
            AutoSkipTime = false,
        });
        var attempts = env.Services.GetRequiredService<AttemptCounter>();

        await env.Client.Service<BuggyIngressClient>().Send().GreetAsync("Cy");
        await env.Time.AdvanceAsync(TimeSpan.FromMinutes(1));   // the backoffs: 0.5 s, 1 s, 2 s

        Assert.Equal(4, attempts.Count);
        Assert.Equal("paused", await StatusAsync(env));

        await env.Time.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(4, attempts.Count);   // paused: no more attempts until an operator resumes it
    }

    /// <summary>The one invocation's status, read from the runtime (an in-process server has no SQL endpoint).</summary>
    private static Task<string?> StatusAsync(KeelTestEnvironment env)
    {
        using var snapshot = env.Server.Runtime.OpenIntrospection();
        return Task.FromResult<string?>(snapshot.Invocations().Single().Status);
    }
}
