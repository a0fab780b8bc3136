using Keel.Server.Hosting;
using Keel.Server.TestSeams;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Core.Tests.TestSeams;

public sealed class TestSeamSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void The_seams_are_off_unless_the_environment_sets_them()
    {
        var settings = ServerSettings.Load([], Env());

        Assert.Null(settings.TestStoreFaultsFile);
        Assert.Equal(TimeSpan.Zero, settings.TestClockOffset);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("-5s", -5)]
    [InlineData("1h", 3600)]
    [InlineData("0", 0)]
    public void The_environment_switches_them_on(string offset, int seconds)
    {
        var settings = ServerSettings.Load([], Env(("KEEL_TEST_STORE_FAULTS", "/tmp/faults"), ("KEEL_TEST_CLOCK_OFFSET", offset)));

        Assert.Equal("/tmp/faults", settings.TestStoreFaultsFile);
        Assert.Equal(TimeSpan.FromSeconds(seconds), settings.TestClockOffset);
    }

    [Fact]
    public void A_malformed_offset_is_refused_naming_the_variable()
    {
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load([], Env(("KEEL_TEST_CLOCK_OFFSET", "soon"))));
        Assert.Contains("KEEL_TEST_CLOCK_OFFSET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_offset_clock_shifts_wall_time_only()
    {
        var machine = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var clock = new OffsetTimeProvider(machine, TimeSpan.FromMinutes(-3));

        Assert.Equal(machine.GetUtcNow() - TimeSpan.FromMinutes(3), clock.GetUtcNow());
        Assert.Equal(machine.GetTimestamp(), clock.GetTimestamp());
        var fired = 0;
        using var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        machine.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, fired);
    }
}
