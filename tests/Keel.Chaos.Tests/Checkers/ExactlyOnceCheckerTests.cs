using Keel.Chaos.Checkers;

namespace Keel.Chaos.Tests.Checkers;

public class ExactlyOnceCheckerTests
{
    private static CheckResult Check(Ops requests, params string[] ledger) => ExactlyOnceChecker.Check(requests.List, ledger);

    [Fact]
    public void Each_acknowledged_request_once_and_indeterminate_ones_at_most_once_is_valid()
    {
        var requests = new Ops().Ok("request", "a", null, 0, 1).Ok("request", "b", null, 0, 1).Info("request", "c", 0).Info("request", "d", 0);

        Assert.True(Check(requests, "b", "a", "c").IsValid);
    }

    [Fact]
    public void An_acknowledged_request_without_its_effect_is_lost()
    {
        var result = Check(new Ops().Ok("request", "a", null, 0, 1).Ok("request", "b", null, 0, 1), "a");

        Assert.Equal(Verdict.Invalid, result.Verdict);
        Assert.Contains("lost (acknowledged, no effect): 1: [b]", result.Problems);
    }

    [Fact]
    public void An_effect_recorded_twice_is_duplicated_even_for_an_indeterminate_request()
    {
        var result = Check(new Ops().Info("request", "a", 0).Ok("request", "a", null, 5, 6), "a", "a");

        Assert.Contains("duplicated (effect more than once): 1: [a ×2]", result.Problems);
    }

    [Fact]
    public void A_failed_request_with_an_effect_and_an_effect_never_requested_are_reported()
    {
        var result = Check(new Ops().Fail("request", "a", 0, 1), "a", "z");

        Assert.Contains("failed, yet took effect: 1: [a]", result.Problems);
        Assert.Contains("unexpected (never requested): 1: [z]", result.Problems);
    }
}
