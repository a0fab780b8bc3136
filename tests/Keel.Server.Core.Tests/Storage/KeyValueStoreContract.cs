using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

/// <summary>
/// What every storage backend must do the same way (the runtime relies on nothing else): point
/// reads, byte-ordered range scans with an exclusive end, the last write per key winning inside one
/// batch, snapshots that later commits do not change, and durability across reopening.
/// Each backend's test class derives from this one.
/// </summary>
public abstract class KeyValueStoreContract
{
    /// <summary>A store on fresh, empty storage of the test's own.</summary>
    protected abstract IKeyValueStore OpenEmpty();

    /// <summary>Opens the storage <paramref name="store"/> used again, after it was disposed.</summary>
    protected abstract IKeyValueStore Reopen(IKeyValueStore store);

    [Fact]
    public void A_missing_key_reads_null_and_a_put_reads_back()
    {
        using var store = OpenEmpty();
        Assert.Null(store.Get(Table.State, [1, 2]));
        store.Commit([new WriteOp(Table.State, [1, 2], [7, 7])]);
        Assert.Equal([7, 7], store.Get(Table.State, [1, 2]));
        Assert.Null(store.Get(Table.Journal, [1, 2]));
    }

    [Fact]
    public void Scans_follow_byte_order_with_an_inclusive_start_and_an_exclusive_end()
    {
        using var store = OpenEmpty();
        byte[][] keys = [[0x00], [0x01, 0xFF], [0x01], [0x7F], [0x80], [0xFF], [0xFF, 0x00], [0x01, 0x00]];
        store.Commit([.. keys.Select((k, i) => new WriteOp(Table.Inbox, k, [(byte)i]))]);

        Assert.Equal([[0x00], [0x01], [0x01, 0x00], [0x01, 0xFF], [0x7F], [0x80], [0xFF], [0xFF, 0x00]],
            store.Scan(Table.Inbox, [], null).Select(kv => kv.Key));
        Assert.Equal([[0x01], [0x01, 0x00], [0x01, 0xFF], [0x7F]], store.Scan(Table.Inbox, [0x01], [0x80]).Select(kv => kv.Key));
        Assert.Equal([[0x01, 0x00], [0x01, 0xFF]], store.Scan(Table.Inbox, [0x01, 0x00], [0x02]).Select(kv => kv.Key));
        Assert.Equal([[0xFF], [0xFF, 0x00]], store.ScanPrefix(Table.Inbox, [0xFF]).Select(kv => kv.Key));
        Assert.Empty(store.Scan(Table.Inbox, [0x02], [0x7F]));
        Assert.Empty(store.Scan(Table.State, [], null));
    }

    [Fact]
    public void The_last_write_of_a_key_in_one_batch_wins()
    {
        using var store = OpenEmpty();
        store.Commit([new WriteOp(Table.Status, [1], [1]), new WriteOp(Table.Status, [2], [2])]);
        store.Commit(
        [
            new WriteOp(Table.Status, [1], null), new WriteOp(Table.Status, [1], [10]),
            new WriteOp(Table.Status, [2], [20]), new WriteOp(Table.Status, [2], null),
            new WriteOp(Table.Status, [3], [30]), new WriteOp(Table.Status, [3], [31]),
        ]);

        Assert.Equal([10], store.Get(Table.Status, [1]));
        Assert.Null(store.Get(Table.Status, [2]));
        Assert.Equal([31], store.Get(Table.Status, [3]));
    }

    [Fact]
    public void Scans_read_lazily_across_many_entries_in_order()
    {
        using var store = OpenEmpty();
        var writes = Enumerable.Range(0, 1500).Select(i => new WriteOp(Table.Journal, [9, (byte)(i >> 8), (byte)i], BitConverter.GetBytes(i))).ToList();
        store.Commit(writes);
        store.Commit([new WriteOp(Table.Journal, [8], [0]), new WriteOp(Table.Journal, [10], [0])]);

        var read = store.ScanPrefix(Table.Journal, [9]).Select(kv => BitConverter.ToInt32(kv.Value)).ToList();
        Assert.Equal(Enumerable.Range(0, 1500), read);
        Assert.Equal(10, store.ScanPrefix(Table.Journal, [9]).Take(10).Count());
    }

    [Fact]
    public void A_snapshot_keeps_what_was_committed_when_it_was_opened()
    {
        using var store = OpenEmpty();
        store.Commit([new WriteOp(Table.Promises, [1], [1]), new WriteOp(Table.Promises, [2], [2])]);
        using var snapshot = store.OpenSnapshot();
        store.Commit([new WriteOp(Table.Promises, [1], null), new WriteOp(Table.Promises, [2], [22]), new WriteOp(Table.Promises, [3], [3])]);

        Assert.Equal([1], snapshot.Get(Table.Promises, [1]));
        Assert.Equal([[1], [2]], snapshot.Scan(Table.Promises, [], null).Select(kv => kv.Value));
        Assert.Equal([[22], [3]], store.Scan(Table.Promises, [], null).Select(kv => kv.Value));
    }

    [Fact]
    public void Committed_batches_are_there_after_reopening()
    {
        var store = OpenEmpty();
        store.Commit([new WriteOp(Table.Timers, [4, 1], [1]), new WriteOp(Table.Meta, [0], [2])]);
        store.Commit([new WriteOp(Table.Timers, [4, 1], null), new WriteOp(Table.Timers, [4, 2], [3])]);
        store.Dispose();

        using var reopened = Reopen(store);
        Assert.Equal([[3]], reopened.ScanPrefix(Table.Timers, [4]).Select(kv => kv.Value));
        Assert.Equal([2], reopened.Get(Table.Meta, [0]));
    }

    [Fact]
    public void An_empty_batch_changes_nothing()
    {
        using var store = OpenEmpty();
        store.Commit([new WriteOp(Table.Locks, [1], [1])]);
        store.Commit([]);
        Assert.Equal([1], store.Get(Table.Locks, [1]));
    }
}
