using Keel.Chaos.Checkers;

namespace Keel.Chaos.Tests.Checkers;

public class WorkflowCheckerTests
{
    [Fact]
    public void Workflows_that_ended_once_with_their_values_read_after_the_end_are_valid()
    {
        WorkflowRun[] runs = [new("w1", "in/p/a", true, "in/p/a", "in/p/a"), new("w2", "x/y/z", false, null, null)];

        // w2's start is indeterminate: it may have run or not. The same invocation recorded twice is one end run again.
        var result = WorkflowChecker.Check(runs, [new("w1", "inv_1"), new("w1", "inv_1"), new("w2", "inv_2")]);

        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void A_workflow_that_ended_as_two_invocations_ran_twice()
    {
        var result = WorkflowChecker.Check([new("w1", "v", true, "v", "v")], [new("w1", "inv_1"), new("w1", "inv_2")]);

        Assert.Equal("workflow w1 ended as 2 invocations: inv_1, inv_2", Assert.Single(result.Problems));
    }

    [Fact]
    public void A_started_workflow_without_an_end_is_lost()
    {
        var result = WorkflowChecker.Check([new("w1", "v", true, null, null)], []);

        Assert.Equal(
            ["workflow w1 started (acknowledged) but its end was never recorded", "workflow w1: no attach returned its result", "workflow w1: no read of its result after the end"],
            result.Problems);
    }

    [Fact]
    public void A_result_other_than_the_values_resolved_or_a_stale_read_after_the_end_is_wrong()
    {
        var result = WorkflowChecker.Check([new("w1", "in/p/a", true, "in/q/a", null), new("w2", "in/p/a", true, "in/p/a", "in/p/b")], [new("w1", "i1"), new("w2", "i2")]);

        Assert.Equal(
            ["workflow w1 ended with 'in/q/a', expected 'in/p/a'", "workflow w1: no read of its result after the end", "workflow w2: read 'in/p/b' after the end, expected 'in/p/a'"],
            result.Problems);
    }

    [Fact]
    public void A_workflow_that_ended_but_was_never_started_is_unexpected()
    {
        var result = WorkflowChecker.Check([], [new("ghost", "inv_9")]);

        Assert.Equal("workflow ghost ended but was never started", Assert.Single(result.Problems));
    }
}
