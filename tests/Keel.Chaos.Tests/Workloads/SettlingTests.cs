using System.Collections.Concurrent;
using Keel.Chaos.History;
using Keel.Chaos.Workloads;

namespace Keel.Chaos.Tests.Workloads;

public class SettlingTests
{
    // Generous: a test that ends on "everything settled" must not end early because a loaded machine stalled.
    private static readonly SettlingPatience Patience = new(Idle: TimeSpan.FromSeconds(30), Cap: TimeSpan.FromMinutes(1));

    // For the test that ends on the idle time: long enough for the open item to be tried again and again.
    private static readonly SettlingPatience ShortIdle = Patience with { Idle = TimeSpan.FromSeconds(2) };

    /// <summary>Records one try of <paramref name="item"/> in the history, as a workload does, and answers <paramref name="kind"/>.</summary>
    private static OpKind Try(OpHistory history, int process, int item, OpKind kind)
    {
        var invoke = history.Invoke(process, "add", "k", item);
        history.Complete(invoke, kind, error: kind == OpKind.Ok ? null : $"HTTP 503: try of {item}");
        return kind;
    }

    [Fact]
    public async Task Items_that_settle_after_a_few_tries_are_all_settled_and_each_try_is_a_new_process()
    {
        var history = new OpHistory();
        var tries = new ConcurrentDictionary<int, int>();
        var processes = new ConcurrentBag<int>();

        var left = await Settling.RetryUntilOkAsync("test", [.. Enumerable.Range(0, 100)], history, Patience, TimeSpan.Zero, (item, process) =>
        {
            processes.Add(process);
            // Item n answers ok on its (n mod 3 + 1)th try.
            var attempt = tries.AddOrUpdate(item, 1, (_, n) => n + 1);
            return Task.FromResult(Try(history, process, item, attempt > item % 3 ? OpKind.Ok : OpKind.Info));
        });

        Assert.Empty(left);
        Assert.All(Enumerable.Range(0, 100), item => Assert.Equal((item % 3) + 1, tries[item]));
        Assert.Equal(processes.Count, processes.Distinct().Count());
    }

    [Fact]
    public async Task An_item_that_never_settles_is_returned_with_its_last_answer_once_nothing_settled_for_the_idle_time()
    {
        var history = new OpHistory();
        var neverTries = 0;

        var left = await Settling.RetryUntilOkAsync("test", [1, 2, 3], history, ShortIdle, TimeSpan.FromMilliseconds(10), (item, process) =>
        {
            if (item == 2)
            {
                Interlocked.Increment(ref neverTries);
            }

            return Task.FromResult(Try(history, process, item, item == 2 ? OpKind.Info : OpKind.Ok));
        });

        var (open, answer) = Assert.Single(left);
        Assert.Equal(2, open);
        Assert.Equal("HTTP 503: try of 2", answer);
        Assert.True(neverTries > 1, "the open item is tried again while patience lasts");
    }

    [Fact]
    public async Task The_cap_ends_the_settling_even_while_items_keep_settling()
    {
        var history = new OpHistory();
        var capped = Patience with { Cap = TimeSpan.FromMilliseconds(300) };
        var items = Enumerable.Range(0, 10_000).ToList();

        // Each try settles its item after 20 ms, so something always settled within the idle time: only the cap stops it.
        var left = await Settling.RetryUntilOkAsync("test", items, history, capped, TimeSpan.Zero, async (item, process) =>
        {
            await Task.Delay(20);
            return Try(history, process, item, OpKind.Ok);
        });

        Assert.NotEmpty(left);
        Assert.All(left, l => Assert.Equal(Settling.NotTried, l.Value));
    }
}
