using Keel.Server.Storage;
using Keel.Server.Storage.RocksDb;

namespace Keel.Server.Core.Tests.Storage;

public sealed class RocksDbStoreContractTests : KeyValueStoreContract, IDisposable
{
    private readonly List<string> _directories = [];
    private readonly Dictionary<IKeyValueStore, string> _where = [];

    protected override IKeyValueStore OpenEmpty()
    {
        var directory = Directory.CreateTempSubdirectory("keel-rocks-contract-").FullName;
        _directories.Add(directory);
        var store = new RocksDbStore(directory);
        _where[store] = directory;
        return store;
    }

    protected override IKeyValueStore Reopen(IKeyValueStore store) => new RocksDbStore(_where[store]);

    [Fact]
    public void Empty_values_read_back_empty_and_deletes_make_keys_missing()
    {
        using var store = (RocksDbStore)OpenEmpty();
        store.Commit([new WriteOp(Table.State, [1], []), new WriteOp(Table.State, [2], [9])]);
        Assert.Equal(Array.Empty<byte>(), store.Get(Table.State, [1]));
        store.Commit([new WriteOp(Table.State, [2], null)]);
        Assert.Null(store.Get(Table.State, [2]));
        Assert.Equal([1], Assert.Single(store.Scan(Table.State, [0], null)).Key);
    }

    [Fact]
    public void Writes_without_a_sync_read_back_at_once_survive_a_reopen_and_are_synced_by_the_next_durable_commit_even_an_empty_one()
    {
        var store = (RocksDbStore)OpenEmpty();
        store.CommitWithoutSync([new WriteOp(Table.Inbox, [1], [5])]);
        Assert.Equal([5], store.Get(Table.Inbox, [1]));

        // A durable commit with nothing to write (a read's batch) must still make the earlier write durable.
        store.Commit([]);
        Assert.Equal(1, store.LogSyncs);
        store.Commit([]);
        Assert.Equal(1, store.LogSyncs);

        // A durable commit with writes syncs the log itself: nothing is left for an empty one after it.
        store.CommitWithoutSync([new WriteOp(Table.Inbox, [2], [6])]);
        store.Commit([new WriteOp(Table.Status, [2], [7])]);
        store.Commit([]);
        Assert.Equal(1, store.LogSyncs);

        var reopened = Reopen(Dispose(store));
        using (reopened)
        {
            Assert.Equal([5], reopened.Get(Table.Inbox, [1]));
            Assert.Equal([6], reopened.Get(Table.Inbox, [2]));
        }
    }

    private static IKeyValueStore Dispose(IKeyValueStore store)
    {
        store.Dispose();
        return store;
    }

    [Fact]
    public void Tables_are_separate_column_families()
    {
        using var store = (RocksDbStore)OpenEmpty();
        store.Commit([new WriteOp(Table.Status, [7], [1]), new WriteOp(Table.Journal, [7], [2])]);
        Assert.Equal([1], store.Get(Table.Status, [7]));
        Assert.Equal([2], store.Get(Table.Journal, [7]));
        Assert.Null(store.Get(Table.Inbox, [7]));
    }

    [Fact]
    public void A_directory_open_elsewhere_is_refused_with_rocksdbs_reason()
    {
        using var store = (RocksDbStore)OpenEmpty();
        var error = Assert.Throws<RocksDbException>(() => new RocksDbStore(_where[store]));
        Assert.Contains("lock", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.IsAssignableFrom<IOException>(error);
    }

    [Fact]
    public void A_scan_left_early_releases_its_iterator_and_the_store_closes_cleanly()
    {
        var store = (RocksDbStore)OpenEmpty();
        store.Commit([.. Enumerable.Range(0, 10).Select(i => new WriteOp(Table.Timers, [(byte)i], [(byte)i]))]);
        Assert.Equal([0, 1, 2], store.Scan(Table.Timers, [0], [9]).Take(3).Select(kv => kv.Value[0]).ToArray());
        using (var snapshot = store.OpenSnapshot())
        {
            Assert.Equal(9, snapshot.Scan(Table.Timers, [0], [9]).Count());
        }

        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Get(Table.Timers, [0]));
        using var reopened = Reopen(store);
        Assert.Equal(10, reopened.Scan(Table.Timers, [0], null).Count());
    }

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
