using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// Commands with values an SDK may legally put on the wire but the partition once failed to apply (found by
/// the fuzz tests, tests/Keel.Server.Tests/Fuzz): each is journaled or refused as an attempt failure, never
/// an apply error.
/// </summary>
public class HostileCommandTests
{
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    [Fact]
    public void A_sleep_past_the_end_of_the_calendar_is_journaled_and_wakes_at_its_end()
    {
        var attempt = _h.Submit("Counter", "add", "k");

        var actions = _h.Effect(attempt, new SleepCommandMessage { WakeUpTime = ulong.MaxValue, ResultCompletionId = 1 }).Actions;

        Assert.Equal(DateTimeOffset.MaxValue, actions.OfType<PartitionAction.ScheduleTimer>().Single().At);
        Assert.Equal(2u, _h.Record(attempt.Id)!.CommandCount);
        Assert.Equal(InvocationPhase.Invoked, _h.Record(attempt.Id)!.Phase);
    }

    [Fact]
    public void A_send_delayed_past_the_end_of_the_calendar_is_journaled_not_refused()
    {
        var attempt = _h.Submit("Counter", "add", "k");

        _h.Effect(attempt, new OneWayCallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvokeTime = 300_000_000_000_000, InvocationIdNotificationIdx = 1 });

        Assert.Equal(2u, _h.Record(attempt.Id)!.CommandCount);
        Assert.Equal(InvocationPhase.Invoked, _h.Record(attempt.Id)!.Phase);
    }

    [Fact]
    public void Getting_the_output_of_something_that_is_not_an_invocation_id_fails_the_attempt_with_a_message()
    {
        var attempt = _h.Submit("Counter", "add", "k");

        var actions = _h.Effect(attempt, new GetInvocationOutputCommandMessage { InvocationId = "key", ResultCompletionId = 1 }).Actions;

        var failed = actions.OfType<PartitionAction.AttemptFailed>().Single();
        Assert.Contains("'key' is not an invocation id.", failed.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(1u, _h.Record(attempt.Id)!.CommandCount);
    }
}
