using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

/// <summary>Savepoints per command, layered reads (store, in-flight batches, batch, command), lazy merged scans.</summary>
public class TransactionTests
{
    private readonly MemoryStore _store = new();

    [Fact]
    public void A_rolled_back_command_leaves_nothing_and_a_completed_one_returns_its_writes()
    {
        var tx = new Transaction(_store);
        tx.BeginCommand();
        tx.Put(Table.State, [1, 1], [1]);
        Assert.Equal([1], tx.Get(Table.State, [1, 1]));
        tx.RollbackCommand();
        Assert.Null(tx.Get(Table.State, [1, 1]));

        tx.BeginCommand();
        tx.Put(Table.State, [1, 2], [2]);
        tx.Delete(Table.State, [1, 3]);
        var mutations = tx.CompleteCommand();
        Assert.Equal([new WriteOp(Table.State, [1, 2], [2]), new WriteOp(Table.State, [1, 3], null)], mutations, WriteOpEquality.Instance);
        tx.Commit();
        Assert.Equal([(Table.State, new byte[] { 1, 2 }, new byte[] { 2 })], _store.Dump().Select(e => (e.Table, e.Key, e.Value)));
    }

    [Fact]
    public void Scans_merge_every_layer_in_key_order_and_later_layers_win()
    {
        _store.Commit([new WriteOp(Table.Inbox, [5, 1], [1]), new WriteOp(Table.Inbox, [5, 4], [4]), new WriteOp(Table.Inbox, [6, 0], [9])]);
        var inFlight = new Overlay();
        inFlight.Set(Table.Inbox, [5, 2], [2]);
        inFlight.Set(Table.Inbox, [5, 4], null);
        var tx = new Transaction(_store, [inFlight]);
        tx.Put(Table.Inbox, [5, 3], [3]);
        tx.BeginCommand();
        tx.Delete(Table.Inbox, [5, 1]);
        tx.Put(Table.Inbox, [5, 5], [5]);

        Assert.Equal([[2], [3], [5]], tx.Scan(Table.Inbox, [5]).Select(kv => kv.Value));
        Assert.Equal([[3]], tx.Scan(Table.Inbox, [5, 3], [5, 5]).Select(kv => kv.Value));
        Assert.Null(tx.Get(Table.Inbox, [5, 4]));
        Assert.Equal([2], tx.Get(Table.Inbox, [5, 2]));
    }

    [Fact]
    public void Prefix_ends_are_the_next_key_after_every_key_with_the_prefix()
    {
        Assert.Equal([1, 3], KeyRange.PrefixEnd([1, 2]));
        Assert.Equal([2], KeyRange.PrefixEnd([1, 0xFF]));
        Assert.Null(KeyRange.PrefixEnd([0xFF, 0xFF]));
    }

    private sealed class WriteOpEquality : IEqualityComparer<WriteOp>
    {
        public static WriteOpEquality Instance { get; } = new();

        public bool Equals(WriteOp x, WriteOp y) => x.Table == y.Table && x.Key.AsSpan().SequenceEqual(y.Key) && x.Value.AsSpan().SequenceEqual(y.Value) && (x.Value is null) == (y.Value is null);

        public int GetHashCode(WriteOp obj) => obj.Table.GetHashCode();
    }
}
