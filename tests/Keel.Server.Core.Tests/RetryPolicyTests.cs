using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests;

/// <summary>Retry policies: manifest overrides, resolution handler → service → server default, backoff and exhaustion.</summary>
public class RetryPolicyTests
{
    private static readonly RuntimeOptions Defaults = new() { DataDirectory = "unused" };

    [Fact]
    public void Without_overrides_the_server_default_applies_and_pauses()
    {
        var policy = EffectiveRetryPolicy.Resolve(null, null, Defaults);
        Assert.Equal(new EffectiveRetryPolicy(TimeSpan.FromMilliseconds(500), 2.0, TimeSpan.FromSeconds(60), 70, OnMaxAttempts.Pause), policy);
        Assert.Equal(policy, EffectiveRetryPolicy.Resolve(Handler(null), Service(null), Defaults));
    }

    [Theory]
    // handler, service → expected; "-" = not set. Columns: initial ms, factor, max ms, attempts, on max.
    [InlineData("-", "-", "500 2 60000 70 Pause")]
    [InlineData("-", "100 3 1000 5 Kill", "100 3 1000 5 Kill")]
    [InlineData("200 - - - -", "100 3 1000 5 Kill", "200 3 1000 5 Kill")]
    [InlineData("- 1.5 - - -", "100 3 1000 5 -", "100 1.5 1000 5 Pause")]
    [InlineData("- - 2000 - Pause", "- - 1000 5 Kill", "500 2 2000 5 Pause")]
    [InlineData("- - - 1 -", "-", "500 2 60000 1 Pause")]
    [InlineData("- - - 0 -", "-", "500 2 60000 1 Pause")]
    [InlineData("10 1 10 3 Kill", "100 3 1000 5 Pause", "10 1 10 3 Kill")]
    public void Each_field_comes_from_the_handler_else_the_service_else_the_default(string handler, string service, string expected)
    {
        var policy = EffectiveRetryPolicy.Resolve(Handler(Settings(handler)), Service(Settings(service)), Defaults);
        var e = expected.Split(' ');
        Assert.Equal(
            new EffectiveRetryPolicy(
                TimeSpan.FromMilliseconds(long.Parse(e[0], Invariant)), double.Parse(e[1], Invariant),
                TimeSpan.FromMilliseconds(long.Parse(e[2], Invariant)), int.Parse(e[3], Invariant), Enum.Parse<OnMaxAttempts>(e[4])),
            policy);
    }

    [Fact]
    public void A_default_max_attempts_of_zero_means_unlimited()
    {
        var policy = EffectiveRetryPolicy.Resolve(null, null, Defaults with { RetryMaxAttempts = 0 });
        Assert.Null(policy.MaxAttempts);
        Assert.False(policy.Exhausted(int.MaxValue));
    }

    [Theory]
    // initial ms, factor, max ms ("-" = uncapped), failed attempts → delay ms
    [InlineData(500, 2.0, "60000", 1, 500)]
    [InlineData(500, 2.0, "60000", 2, 1000)]
    [InlineData(500, 2.0, "60000", 3, 2000)]
    [InlineData(500, 2.0, "60000", 7, 32000)]
    [InlineData(500, 2.0, "60000", 8, 60000)]
    [InlineData(500, 2.0, "60000", 70, 60000)]
    [InlineData(500, 2.0, "60000", 100000, 60000)]
    [InlineData(500, 2.0, "60000", 0, 500)]
    [InlineData(100, 1.0, "60000", 50, 100)]
    [InlineData(100, 1.5, "-", 3, 225)]
    [InlineData(100, 3.0, "1000", 3, 900)]
    [InlineData(100, 3.0, "1000", 4, 1000)]
    // The first retry waits the initial interval even beyond the cap; later ones are capped.
    [InlineData(5000, 2.0, "1000", 1, 5000)]
    [InlineData(5000, 2.0, "1000", 2, 1000)]
    // A zero initial interval retries at once, every time.
    [InlineData(0, 2.0, "1000", 5, 0)]
    // Shrinking factors (only possible through server defaults): each delay is the previous one times the factor.
    [InlineData(1000, 0.5, "-", 3, 250)]
    [InlineData(8000, 0.5, "1000", 2, 1000)]
    [InlineData(8000, 0.5, "1000", 3, 500)]
    [InlineData(1000, -1.0, "2000", 2, 2000)]
    public void The_delay_grows_by_the_factor_up_to_the_cap(long initialMs, double factor, string maxMs, int failedAttempts, long expectedMs)
    {
        var policy = new EffectiveRetryPolicy(
            TimeSpan.FromMilliseconds(initialMs), factor, maxMs == "-" ? null : TimeSpan.FromMilliseconds(long.Parse(maxMs, Invariant)), null, OnMaxAttempts.Pause);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), policy.DelayAfter(failedAttempts));
    }

    [Fact]
    public void An_uncapped_delay_saturates_instead_of_overflowing()
    {
        var policy = new EffectiveRetryPolicy(TimeSpan.FromSeconds(1), 10, null, null, OnMaxAttempts.Pause);
        Assert.Equal(TimeSpan.MaxValue, policy.DelayAfter(1000));
    }

    [Theory]
    // max attempts ("-" = unlimited), failed attempts → exhausted
    [InlineData("1", 1, true)]
    [InlineData("3", 1, false)]
    [InlineData("3", 2, false)]
    [InlineData("3", 3, true)]
    [InlineData("3", 4, true)]
    [InlineData("70", 69, false)]
    [InlineData("70", 70, true)]
    [InlineData("-", 1000000, false)]
    public void Attempts_are_used_up_when_the_failures_reach_max_attempts(string maxAttempts, int failedAttempts, bool exhausted)
    {
        var policy = new EffectiveRetryPolicy(TimeSpan.FromSeconds(1), 2, null, maxAttempts == "-" ? null : int.Parse(maxAttempts, Invariant), OnMaxAttempts.Kill);
        Assert.Equal(exhausted, policy.Exhausted(failedAttempts));
    }

    [Fact]
    public void Manifest_options_become_settings()
    {
        Assert.Null(RetryPolicySettings.FromManifest(new HandlerManifest { Name = "h", InactivityTimeout = 5 }));
        Assert.Equal(
            new RetryPolicySettings(TimeSpan.FromMilliseconds(250), 1.5, TimeSpan.FromSeconds(10), 4, OnMaxAttempts.Kill),
            RetryPolicySettings.FromManifest(new HandlerManifest
            {
                Name = "h",
                RetryPolicyInitialInterval = 250,
                RetryPolicyExponentiationFactor = 1.5,
                RetryPolicyMaxInterval = 10_000,
                RetryPolicyMaxAttempts = 4,
                RetryPolicyOnMaxAttempts = RetryPolicyOnMaxAttempts.Kill,
            }));
        Assert.Equal(
            new RetryPolicySettings(OnMaxAttempts: OnMaxAttempts.Pause),
            RetryPolicySettings.FromManifest(new ServiceManifest { Name = "s", Ty = ServiceType.Service, RetryPolicyOnMaxAttempts = RetryPolicyOnMaxAttempts.Pause }));
        Assert.Equal(
            new RetryPolicySettings(MaxAttempts: 1),
            RetryPolicySettings.FromManifest(new ServiceManifest { Name = "s", Ty = ServiceType.Service, RetryPolicyMaxAttempts = 0 }));
    }

    private static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;

    private static HandlerInfo Handler(RetryPolicySettings? retry) => new("h", HandlerType.Shared, RetryPolicy: retry);

    private static ServiceInfo Service(RetryPolicySettings? retry) =>
        new("S", ServiceType.Service, "dp", new Dictionary<string, HandlerInfo>(), 1, RetryPolicy: retry);

    /// <summary>"initial factor max attempts onMax", "-" for an unset field; a lone "-" for no settings.</summary>
    private static RetryPolicySettings? Settings(string spec)
    {
        if (spec == "-")
        {
            return null;
        }

        var f = spec.Split(' ');
        return new RetryPolicySettings(
            f[0] == "-" ? null : TimeSpan.FromMilliseconds(long.Parse(f[0], Invariant)),
            f[1] == "-" ? null : double.Parse(f[1], Invariant),
            f[2] == "-" ? null : TimeSpan.FromMilliseconds(long.Parse(f[2], Invariant)),
            f[3] == "-" ? null : int.Parse(f[3], Invariant),
            f[4] == "-" ? null : Enum.Parse<OnMaxAttempts>(f[4]));
    }
}
