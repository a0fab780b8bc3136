using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Tests.Checkers;

public class DelayedSendCheckerTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static AlarmRun Ran(string id, double dueSeconds, double firedSeconds, string key = "k") =>
        new(id, key, Noon.AddSeconds(dueSeconds), Noon.AddSeconds(firedSeconds));

    [Fact]
    public void Every_acknowledged_alarm_once_and_on_time_with_indeterminate_ones_either_way_is_valid()
    {
        ScheduledAlarm[] scheduled = [new("a", "k", OpKind.Ok), new("b", "k", OpKind.Ok), new("c", "k", OpKind.Info), new("d", "k", OpKind.Info), new("e", "k", OpKind.Fail)];

        var result = DelayedSendChecker.Check(scheduled, [Ran("b", 1, 1.5), Ran("a", 2, 2), Ran("c", 3, 4)]);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void An_alarm_that_ran_twice_is_a_timer_fired_twice()
    {
        var result = DelayedSendChecker.Check([new("a", "k", OpKind.Ok)], [Ran("a", 1, 1.2), Ran("a", 1, 1.9)]);

        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.StartsWith("alarm a ran 2 times", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_alarm_that_ran_before_its_due_time_fired_early()
    {
        var result = DelayedSendChecker.Check([new("a", "k", OpKind.Ok)], [Ran("a", 2, 1.5)]);

        Assert.Equal("alarm a ran 500 ms before its due time", Assert.Single(result.Problems));
    }

    [Fact]
    public void Under_clock_jumps_an_early_alarm_is_allowed_but_a_double_one_is_not()
    {
        var result = DelayedSendChecker.Check([new("a", "k", OpKind.Ok), new("b", "k", OpKind.Ok)], [Ran("a", 600, 1.5), Ran("b", 600, 2), Ran("b", 600, 3)], earlyAllowed: true);

        Assert.StartsWith("alarm b ran 2 times", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_acknowledged_alarm_that_never_ran_is_lost()
    {
        var result = DelayedSendChecker.Check([new("a", "k", OpKind.Ok), new("b", "k", OpKind.Info)], []);

        Assert.Equal("alarm a acknowledged but never ran", Assert.Single(result.Problems));
    }

    [Fact]
    public void An_alarm_never_asked_for_or_certainly_failed_or_on_another_key_is_unexpected()
    {
        ScheduledAlarm[] scheduled = [new("failed", "k", OpKind.Fail), new("moved", "k", OpKind.Ok)];

        var result = DelayedSendChecker.Check(scheduled, [Ran("ghost", 1, 1), Ran("failed", 1, 1), Ran("moved", 1, 1, key: "other")]);

        Assert.Equal(
            ["alarm failed ran but every request for it certainly failed", "alarm ghost ran on k but was never asked for", "alarm moved ran on other, sent to k"],
            result.Problems);
    }
}
