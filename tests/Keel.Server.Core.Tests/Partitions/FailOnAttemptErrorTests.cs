using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>A test environment's runtime: the first failed attempt fails the invocation, whatever its retry policy says.</summary>
public class FailOnAttemptErrorTests
{
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1, FailOnAttemptError = true });

    [Fact]
    public void The_first_failure_completes_the_invocation_with_the_message_then_the_stack()
    {
        var attempt = _h.Submit("Fragile", "once");   // its own policy would retry after a second

        var actions = _h.Actions(new PartitionCommand.Effect(new InvokerEffect.Failed(attempt.Id, attempt.Attempt,
            new AttemptFailure(500, "cart is empty", "System.InvalidOperationException: cart is empty\n   at Shop.Checkout()"))));

        var failed = (InvocationResult.Failure)actions.OfType<PartitionAction.Completed>().Single().Result;
        Assert.Equal((500, "cart is empty\nSystem.InvalidOperationException: cart is empty\n   at Shop.Checkout()"), (failed.Code, failed.Message));
        Assert.Empty(actions.OfType<PartitionAction.ScheduleTimer>());
        Assert.Equal(InvocationPhase.Completed, _h.Record(attempt.Id)!.Phase);
        Assert.StartsWith("failed", actions.OfType<PartitionAction.AttemptFailed>().Single().Outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_run_with_its_own_retry_delay_fails_too_but_a_pause_the_SDK_asks_for_pauses()
    {
        var run = _h.Submit("Fragile", "once");
        var failedRun = _h.Actions(new PartitionCommand.Effect(new InvokerEffect.Failed(run.Id, run.Attempt, new AttemptFailure(500, "gateway down", NextRetryDelay: TimeSpan.FromMilliseconds(50)))));
        Assert.Equal("gateway down", ((InvocationResult.Failure)failedRun.OfType<PartitionAction.Completed>().Single().Result).Message);

        var paused = _h.Submit("Fragile", "once");
        _h.Actions(new PartitionCommand.Effect(new InvokerEffect.Failed(paused.Id, paused.Attempt, new AttemptFailure(500, "stop", Behavior: FailureBehavior.Pause))));
        Assert.Equal(InvocationPhase.Paused, _h.Record(paused.Id)!.Phase);
    }
}
