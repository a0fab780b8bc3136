using Keel.Server.Storage;
using Keel.TestSupport;

namespace Keel.Server.Postgres.Tests.Storage;

/// <summary>
/// The owner-side cache of a leased partition on a real PostgreSQL. Rows changed in the database behind
/// the owner's back (which under a held lease nobody may do) show whether a read came from the cache.
/// </summary>
public sealed class OwnerCacheTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private const long Bytes = 1 << 20;

    [Fact]
    public async Task A_stale_owner_never_reads_its_cache_once_its_lease_lapsed_and_another_node_took_the_partition()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(1);
        var asked = Environment.TickCount64;
        var first = leases.TryAcquire("a", TimeSpan.FromMilliseconds(300))!;
        var guard = new LeaseGuard(asked + 225);
        var stale = new FencedPartitionStore(store, new LeaseFence(first.Partition, "a", first.Epoch), guard, Bytes);
        stale.Commit([new WriteOp(Table.State, [1], [1])]);
        Assert.Equal([1], stale.Get(Table.State, [1]));

        // "a" freezes and stops renewing; "b" takes the partition over once the lease expired and writes.
        PartitionLease? taken = null;
        await Eventually.UntilAsync(() => Task.FromResult((taken = leases.TryAcquire("b", TimeSpan.FromSeconds(30))) is not null), TimeSpan.FromSeconds(10), "b to take over");
        new FencedPartitionStore(store, new LeaseFence(taken!.Partition, "b", taken.Epoch)).Commit([new WriteOp(Table.State, [1], [2])]);

        // "a" wakes up: its guard lapsed before the database let "b" in, so its read goes to the database.
        Assert.False(guard.Held);
        Assert.Equal([2], stale.Get(Table.State, [1]));
        Assert.Equal(new byte[][] { [2] }, stale.ScanPrefix(Table.State, [1]).Select(kv => kv.Value));
        Assert.Throws<PartitionFencedException>(() => stale.Commit([new WriteOp(Table.State, [1], [3])]));
    }

    [Fact]
    public void Reads_are_served_from_the_cache_while_the_lease_is_held_and_from_the_database_once_it_is_revoked()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var (owner, guard) = Owner(store);
        owner.Commit([new WriteOp(Table.State, [1], [1])]);
        Assert.Equal([1], owner.Get(Table.State, [1]));
        Assert.Null(owner.Get(Table.State, [9]));

        store.Commit([new WriteOp(Table.State, [1], [5]), new WriteOp(Table.State, [9], [9])]);
        Assert.Equal([1], owner.Get(Table.State, [1]));
        Assert.Null(owner.Get(Table.State, [9]));

        // The partition stops here (or its loss is noticed): nothing cached is served any more.
        guard.Revoke();
        Assert.Equal([5], owner.Get(Table.State, [1]));
        Assert.Equal([9], owner.Get(Table.State, [9]));
    }

    [Fact]
    public void A_range_read_whole_is_kept_and_follows_the_owners_commits()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var (owner, _) = Owner(store);
        owner.Commit([new WriteOp(Table.Journal, [7, 1], [1]), new WriteOp(Table.Journal, [7, 2], [2]), new WriteOp(Table.Journal, [8, 1], [8])]);
        Assert.Equal(new byte[][] { [1], [2] }, owner.ScanPrefix(Table.Journal, [7]).Select(kv => kv.Value));

        // Written behind the owner's back: invisible, so the range came from the cache...
        store.Commit([new WriteOp(Table.Journal, [7, 9], [9])]);
        Assert.Equal(new byte[][] { [1], [2] }, owner.ScanPrefix(Table.Journal, [7]).Select(kv => kv.Value));

        // ...and the owner's own commits are in it once they are durable, appends and deletes alike;
        // a narrower range and a point inside it are answered from it too.
        owner.Commit([new WriteOp(Table.Journal, [7, 3], [3]), new WriteOp(Table.Journal, [7, 1], null)]);
        Assert.Equal(new byte[][] { [2], [3] }, owner.ScanPrefix(Table.Journal, [7]).Select(kv => kv.Value));
        Assert.Equal(new byte[][] { [3] }, owner.Scan(Table.Journal, [7, 3], [8]).Select(kv => kv.Value));
        Assert.Null(owner.Get(Table.Journal, [7, 9]));
        Assert.Equal([3], owner.Get(Table.Journal, [7, 3]));
    }

    [Fact]
    public void A_failed_commit_empties_the_cache()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(1);
        var lease = leases.TryAcquire("a", TimeSpan.FromSeconds(30))!;
        var guard = new LeaseGuard(Environment.TickCount64 + 60_000);
        var owner = new FencedPartitionStore(store, new LeaseFence(lease.Partition, "a", lease.Epoch), guard, Bytes);
        owner.Commit([new WriteOp(Table.State, [1], [1])]);
        Assert.Equal([1], owner.Get(Table.State, [1]));

        store.Commit([new WriteOp(Table.State, [1], [5])]);
        leases.Release("a", lease.Partition);
        Assert.Throws<PartitionFencedException>(() => owner.Commit([new WriteOp(Table.State, [2], [2])]));

        Assert.True(guard.Held);
        Assert.Equal([5], owner.Get(Table.State, [1]));
        Assert.Null(owner.Get(Table.State, [2]));
    }

    [Fact]
    public void A_read_that_overlapped_a_commit_of_the_same_key_is_not_kept()
    {
        var cache = new PartitionReadCache(Bytes);
        var before = cache.BeginRead();
        IReadOnlyList<WriteOp> commit = [new WriteOp(Table.State, [1], [2])];
        cache.CommitStarting(commit);
        cache.FillPoint(before, Table.State, [1], [1]);
        Assert.False(cache.TryGet(Table.State, [1], out _));

        cache.CommitSucceeded(commit);
        Assert.True(cache.TryGet(Table.State, [1], out var value));
        Assert.Equal([2], value);

        // A slow range read begun before that commit comes back with the old row: dropped.
        cache.FillRange(before, Table.State, [1], [2], [KeyValuePair.Create<byte[], byte[]>([1], [1])]);
        Assert.Null(cache.TryScan(Table.State, [1], [2]));

        // One begun after it is kept; another key's read is kept even if a commit overlapped it.
        cache.FillRange(cache.BeginRead(), Table.State, [1], [2], [KeyValuePair.Create<byte[], byte[]>([1], [2])]);
        Assert.Equal([2], Assert.Single(cache.TryScan(Table.State, [1], [2])!).Value);
        cache.FillPoint(before, Table.State, [5], [5]);
        Assert.True(cache.TryGet(Table.State, [5], out _));
    }

    [Fact]
    public void The_cache_stays_within_its_size_dropping_the_least_recently_used_first()
    {
        var cache = new PartitionReadCache(1000);
        for (byte i = 0; i < 20; i++)
        {
            cache.FillPoint(cache.BeginRead(), Table.State, [i], new byte[100]);
            Assert.True(cache.TryGet(Table.State, [0], out _), "the entry read every time stays");
        }

        Assert.InRange(cache.Bytes, 1, 1000);
        Assert.False(cache.TryGet(Table.State, [1], out _));
        Assert.True(cache.TryGet(Table.State, [19], out _));
    }

    private static (FencedPartitionStore Owner, LeaseGuard Guard) Owner(PostgresStore store)
    {
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(1);
        var lease = leases.TryAcquire("a", TimeSpan.FromSeconds(30))!;
        var guard = new LeaseGuard(Environment.TickCount64 + 60_000);
        return (new FencedPartitionStore(store, new LeaseFence(lease.Partition, "a", lease.Epoch), guard, Bytes), guard);
    }
}
