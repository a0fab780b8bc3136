using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// Redelivery of unacknowledged hand-overs reads the outbox a page per command (never all of it at
/// once) and, when periodic, resends only entries that were already there at the previous pass.
/// </summary>
public sealed class OutboxRedeliveryTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly RuntimeOptions Options = new() { DataDirectory = "unused", Partitions = 2 };
    private static readonly PartitionMap Map = new(2);
    private readonly MemoryStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), Options, 0);

    /// <summary>Applies one command (follow-ups are returned, not run).</summary>
    private List<PartitionAction> Apply(PartitionCommand command)
    {
        var tx = new Transaction(_store);
        var actions = _machine.Apply(new Tables(tx, Map, 0), command, Now).Actions;
        tx.Commit();
        return actions;
    }

    /// <summary>Hand-overs to partition 1 written as the state machine writes them; returns their sequences.</summary>
    private List<ulong> PutOutbox(int count)
    {
        var tx = new Transaction(_store);
        var tables = new Tables(tx, Map, 0);
        var seqs = new List<ulong>();
        for (var i = 0; i < count; i++)
        {
            var previous = tables.LastSentTo(1);
            var seq = tables.PutOutbox(OutboxCodec.Encode(1, new RemoteOp.CancelInvocation($"inv-{i}"), previous));
            tables.SetLastSentTo(1, seq);
            seqs.Add(seq);
        }

        tx.Commit();
        return seqs;
    }

    private static List<ulong> Resent(IEnumerable<PartitionAction> actions) =>
        [.. actions.OfType<PartitionAction.Route>().Select(r => ((PartitionCommand.Deliver)r.Command).Seq)];

    /// <summary>Runs a pass to its end, one command per page; returns what each page resent.</summary>
    private List<List<ulong>> Pass(PartitionCommand.RedeliverOutbox first)
    {
        var pages = new List<List<ulong>>();
        PartitionCommand? next = first;
        while (next is not null)
        {
            var actions = Apply(next);
            pages.Add(Resent(actions));
            next = actions.OfType<PartitionAction.FollowUp>().SingleOrDefault()?.Command;
            Assert.True(next is null or PartitionCommand.RedeliverOutbox, $"unexpected follow-up {next}");
            Assert.True(pages.Count <= 100, "the pass does not end");
        }

        return pages;
    }

    [Fact]
    public void An_outbox_of_1000_entries_is_redelivered_a_page_at_a_time_each_entry_once_in_order()
    {
        var seqs = PutOutbox(1_000);

        var pages = Pass(new PartitionCommand.RedeliverOutbox(Limit: 100));

        Assert.All(pages, page => Assert.True(page.Count <= 100, $"a page of {page.Count}"));
        Assert.Equal(10, pages.Count(page => page.Count > 0));
        Assert.Equal(seqs, pages.SelectMany(page => page));
    }

    [Fact]
    public void Entries_handed_over_since_the_previous_pass_are_not_resent_until_the_next()
    {
        var old = PutOutbox(5);
        var first = Apply(new PartitionCommand.RedeliverOutbox(Below: 0));
        Assert.Empty(Resent(first));
        var mark = Assert.Single(first.OfType<PartitionAction.OutboxMark>()).Next;

        // Sent after that pass began: fresh at the next one, which resends only the older entries.
        var fresh = PutOutbox(3);
        var second = Apply(new PartitionCommand.RedeliverOutbox(Below: mark));
        Assert.Equal(old, Resent(second));
        var nextMark = Assert.Single(second.OfType<PartitionAction.OutboxMark>()).Next;

        // One pass later they have waited long enough.
        Assert.Equal([.. old, .. fresh], Resent(Apply(new PartitionCommand.RedeliverOutbox(Below: nextMark))));
    }

    [Fact]
    public void The_start_resends_everything_a_page_at_a_time()
    {
        var seqs = PutOutbox(700);

        var recovered = Apply(new PartitionCommand.Recover());
        var firstPage = Resent(recovered);
        var rest = Assert.IsType<PartitionCommand.RedeliverOutbox>(
            Assert.Single(recovered.OfType<PartitionAction.FollowUp>(), f => f.Command is PartitionCommand.RedeliverOutbox).Command);
        Assert.Null(rest.Below);

        Assert.True(firstPage.Count < seqs.Count, $"the first page held {firstPage.Count}");
        Assert.Equal(seqs, firstPage.Concat(Pass(rest).SelectMany(page => page)));
    }
}
