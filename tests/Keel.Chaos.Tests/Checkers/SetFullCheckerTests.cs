using Keel.Chaos.Checkers;

namespace Keel.Chaos.Tests.Checkers;

public class SetFullCheckerTests
{
    private static SetFullResult CheckOne(Ops ops) => Assert.Single(SetFullChecker.CheckPerKey(ops.List));

    [Fact]
    public void Acknowledged_adds_all_in_the_reads_that_follow_are_valid()
    {
        var ops = new Ops()
            .Add(1, 0, 10).Add(2, 5, 15)
            .ReadSet(12, 20, 1)          // concurrent with add 2: may miss it
            .Add(3, 21, 30)
            .ReadSet(40, 50, 1, 2, 3);

        var result = CheckOne(ops);

        Assert.True(result.IsValid);
        Assert.Empty(result.NeverRead);
        Assert.True(SetFullChecker.Check(ops.List).IsValid);
    }

    [Fact]
    public void An_acknowledged_add_missing_from_the_final_read_is_lost()
    {
        var ops = new Ops().Add(1, 0, 10).Add(2, 0, 10).ReadSet(20, 30, 1);

        var result = CheckOne(ops);

        Assert.Equal([2L], result.Lost);
        var check = SetFullChecker.Check(ops.List);
        Assert.Equal(Verdict.Invalid, check.Verdict);
        Assert.Contains("lost", Assert.Single(check.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void An_element_seen_once_and_then_missing_from_the_final_read_is_lost_even_if_its_add_was_indeterminate()
    {
        var ops = new Ops().Info("add", 7L, 0).ReadSet(10, 20, 7).ReadSet(30, 40);

        Assert.Equal([7L], CheckOne(ops).Lost);
    }

    [Fact]
    public void A_read_that_misses_an_acknowledged_element_which_comes_back_later_is_stale()
    {
        var ops = new Ops().Add(1, 0, 10).ReadSet(20, 30).ReadSet(40, 50, 1);

        var result = CheckOne(ops);

        Assert.Equal([1L], result.Stale);
        Assert.Empty(result.Lost);
    }

    [Fact]
    public void An_element_twice_in_a_read_is_duplicated()
    {
        var ops = new Ops().Add(1, 0, 10).ReadSet(20, 30, 1, 1);

        Assert.Equal([1L], CheckOne(ops).Duplicated);
    }

    [Fact]
    public void An_element_never_added_or_only_by_a_failed_add_is_unexpected()
    {
        var ops = new Ops().Add(1, 0, 10).Fail("add", 2L, 0, 10).ReadSet(20, 30, 1, 2, 3);

        Assert.Equal([2L, 3L], CheckOne(ops).Unexpected);
    }

    [Fact]
    public void Indeterminate_adds_may_be_present_or_absent()
    {
        var absent = new Ops().Info("add", 1L, 0).Add(2, 0, 10).ReadSet(20, 30, 2);
        var present = new Ops().Info("add", 1L, 0).Add(2, 0, 10).ReadSet(20, 30, 1, 2);

        Assert.True(CheckOne(absent).IsValid);
        Assert.True(CheckOne(present).IsValid);
    }

    [Fact]
    public void An_indeterminate_add_retried_with_its_idempotency_key_appears_once()
    {
        // The first attempt timed out (it may have run); the retry with the same key was acknowledged.
        // The element must be there, and only once: the retry attached to the first attempt or replaced it.
        var once = new Ops().Info("add", 1L, 0).Add(1, 20, 30).ReadSet(40, 50, 1);
        var twice = new Ops().Info("add", 1L, 0).Add(1, 20, 30).ReadSet(40, 50, 1, 1);
        var none = new Ops().Info("add", 1L, 0).Add(1, 20, 30).ReadSet(40, 50);

        Assert.True(CheckOne(once).IsValid);
        Assert.Equal([1L], CheckOne(twice).Duplicated);
        Assert.Equal([1L], CheckOne(none).Lost);
    }

    [Fact]
    public void An_acknowledged_add_no_read_began_after_is_never_read_which_is_no_failure()
    {
        var ops = new Ops().ReadSet(0, 30).Add(1, 10, 20);

        var result = CheckOne(ops);

        Assert.Equal([1L], result.NeverRead);
        Assert.True(result.IsValid);
    }

    [Fact]
    public void Sets_of_different_keys_are_judged_apart()
    {
        var ops = new Ops().Add(1, 0, 10, key: "a").Ok("read", null, new List<long>(), 20, 30, key: "b").Ok("read", null, new List<long> { 1 }, 20, 30, key: "a");

        var results = SetFullChecker.CheckPerKey(ops.List);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r.IsValid));
    }
}
