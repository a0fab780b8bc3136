using Keel.Server.Ingress;

namespace Keel.Server.Tests.Ingress;

public class DurationsTests
{
    public static TheoryData<string, long> Valid => new()
    {
        { "0", 0 },
        { "0s", 0 },
        { "100ms", 100 },
        { "10s", 10_000 },
        { "10 min", 600_000 },
        { "1m30s", 90_000 },
        { "2days", 172_800_000 },
        { "1d 12h", 129_600_000 },
        { "36h 4m 2s", 129_842_000 },
        { "1 day, 2 hours", 93_600_000 },
        { "1.5h", 5_400_000 },
        { "2 weeks", 1_209_600_000 },
        { "1d 02:03:04", 93_784_000 },
        { "01:00:00.5", 3_600_500 },
        { "30 days 48 hours", 2_764_800_000 },
        { "10S", 10_000 },
        { "PT10S", 10_000 },
        { "P30D", 2_592_000_000 },
        { "P1DT12H", 129_600_000 },
        { "pt1m", 60_000 },
        { "PT0.5S", 500 },
        { "P1W", 604_800_000 },
        { "P0M1D", 86_400_000 },
        { " 5s ", 5_000 },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Friendly_and_iso_8601_inputs_parse_to_the_same_durations_as_restate(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var duration, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("1 month", "months and years")]
    [InlineData("P1M", "months and years")]
    [InlineData("2y", "months and years")]
    [InlineData("P1Y", "months and years")]
    [InlineData("-5s", "negative")]
    [InlineData("5s ago", "negative")]
    [InlineData("-PT5S", "negative")]
    [InlineData("soon", "expected a number")]
    [InlineData("", "empty")]
    [InlineData("-", "after the sign")]
    [InlineData("1d,2h", "unexpected ',2h'")]
    [InlineData("10", "no unit")]
    [InlineData("10 fortnights", "unknown unit")]
    [InlineData("1s 1h", "largest to the smallest")]
    [InlineData("1h 1h", "largest to the smallest")]
    [InlineData("1.5d", "only hours and smaller")]
    [InlineData("1.5h 2m", "only the last unit")]
    [InlineData("P", "at least one component")]
    [InlineData("PT", "at least one component after T")]
    [InlineData("P1.5D", "only hours, minutes and seconds")]
    [InlineData("P1H", "unexpected 'H'")]
    [InlineData("9999999999d", "too large")]
    public void Months_years_negative_and_garbage_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(Durations.TryParse(text, out var duration, out var error));
        Assert.Equal(TimeSpan.Zero, duration);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Contains($"'{text}' is not a valid duration", error, StringComparison.Ordinal);
        Assert.Equal(error, Assert.Throws<FormatException>(() => Durations.Parse(text)).Message);
    }

    public static TheoryData<long, string> Formatted => new()
    {
        { 0, "0s" },
        { TimeSpan.TicksPerMillisecond * 100, "100ms" },
        { TimeSpan.TicksPerMinute, "1m" },
        { TimeSpan.TicksPerMinute * 10, "10m" },
        { TimeSpan.TicksPerDay, "1d" },
        { TimeSpan.TicksPerDay * 30, "30d" },
        { (TimeSpan.TicksPerHour * 36) + (TimeSpan.TicksPerMinute * 4) + (TimeSpan.TicksPerSecond * 2), "1d 12h 4m 2s" },
        { (TimeSpan.TicksPerSecond * 90), "1m 30s" },
        { TimeSpan.TicksPerMillisecond + 15, "1ms 1µs 500ns" },
        { -TimeSpan.TicksPerSecond, "1s ago" },
    };

    [Theory]
    [MemberData(nameof(Formatted))]
    public void Output_is_restates_compact_friendly_form_with_days_as_the_largest_unit(long ticks, string expected) =>
        Assert.Equal(expected, Durations.Format(TimeSpan.FromTicks(ticks)));

    [Theory]
    [InlineData("1d 12h 4m 2s")]
    [InlineData("100ms")]
    [InlineData("3d 1ms")]
    [InlineData("0s")]
    public void Formatted_durations_parse_back_to_themselves(string text) =>
        Assert.Equal(text, Durations.Format(Durations.Parse(text)));
}
