using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Hosting;
using Keel.Server.Partitions;

namespace Keel.Server.Tests.Hosting;

/// <summary><c>--dev</c>: a short default retry policy, so a handler's bug pauses within seconds instead of an hour.</summary>
public class DevelopmentProfileTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_flag_the_environment_or_the_config_file_turn_it_on_and_it_is_off_by_default()
    {
        Assert.False(ServerSettings.Load([], Env()).Development);
        Assert.True(ServerSettings.Load(["--dev"], Env()).Development);
        Assert.True(ServerSettings.Load(["--dev", "--partitions", "3"], Env()).Development);   // a flag without a value
        Assert.True(ServerSettings.Load([], Env(("KEEL_DEV", "1"))).Development);
        Assert.True(ServerSettings.Load([], Env(("KEEL_DEV", "true"))).Development);
        Assert.False(ServerSettings.Load([], Env(("KEEL_DEV", "false"))).Development);

        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, """{"dev": true}""");
            Assert.True(ServerSettings.Load(["--config", config], Env()).Development);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void It_sets_the_runtime_default_to_four_attempts_within_seconds_then_pause()
    {
        var runtime = AdminOptions.From(ServerSettings.Load(["--dev"], Env())).Runtime;

        var policy = EffectiveRetryPolicy.Resolve(null, null, runtime);

        Assert.Equal(new EffectiveRetryPolicy(TimeSpan.FromMilliseconds(500), 2.0, TimeSpan.FromSeconds(2), 4, OnMaxAttempts.Pause), policy);
        Assert.Equal(TimeSpan.FromMilliseconds(3500), policy.DelayAfter(1) + policy.DelayAfter(2) + policy.DelayAfter(3));
        Assert.True(policy.Exhausted(4));
    }

    [Fact]
    public void Without_it_the_restate_default_of_seventy_attempts_stays()
    {
        var runtime = AdminOptions.From(ServerSettings.Load([], Env())).Runtime;
        Assert.Equal(70, EffectiveRetryPolicy.Resolve(null, null, runtime).MaxAttempts);
    }

    [Fact]
    public void A_service_that_sets_its_own_policy_keeps_it()
    {
        var runtime = AdminOptions.From(ServerSettings.Load(["--dev"], Env())).Runtime;
        var service = new ServiceInfo("S", Keel.Protocol.Manifest.ServiceType.Service, "dp", new Dictionary<string, HandlerInfo>(), 1, RetryPolicy: new RetryPolicySettings(MaxAttempts: 10));
        Assert.Equal(10, EffectiveRetryPolicy.Resolve(null, service, runtime).MaxAttempts);
    }
}
