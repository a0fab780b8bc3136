using Keel.Server.Storage;
using Keel.TestSupport;

namespace Keel.Server.Postgres.Tests.Cluster;

/// <summary>Leases on a real PostgreSQL: epochs, expiry by the database clock, and commits fenced by them.</summary>
public sealed class LeaseFencingTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_node_that_lost_its_lease_commits_nothing_and_the_new_holder_commits()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(2);

        var first = leases.TryAcquire("a", TimeSpan.FromMilliseconds(200));
        Assert.NotNull(first);
        var stale = new FencedPartitionStore(store, new LeaseFence(first.Partition, "a", first.Epoch));
        stale.Commit([new WriteOp(Table.State, [1], [1])]);

        // "a" stops renewing (paused, partitioned away); once its lease expired, "b" takes the partition with a new epoch.
        PartitionLease? taken = null;
        await Eventually.UntilAsync(() => Task.FromResult((taken = TakeOver(leases, first.Partition)) is not null), TimeSpan.FromSeconds(10), "b to take over");
        Assert.Equal(first.Epoch + 1, taken!.Epoch);

        var refused = Assert.Throws<PartitionFencedException>(() => stale.Commit([new WriteOp(Table.State, [2], [2]), new WriteOp(Table.State, [1], null)]));
        Assert.Contains("held by b", refused.Message, StringComparison.Ordinal);
        Assert.Null(store.Get(Table.State, [2]));
        Assert.Equal([1], store.Get(Table.State, [1]));

        new FencedPartitionStore(store, new LeaseFence(taken.Partition, "b", taken.Epoch)).Commit([new WriteOp(Table.State, [3], [3])]);
        Assert.Equal([3], store.Get(Table.State, [3]));
    }

    [Fact]
    public void A_fenced_batch_for_a_partition_without_a_lease_row_writes_nothing_and_a_refused_batch_leaves_the_next_one_working()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(1);
        var held = leases.TryAcquire("a", TimeSpan.FromSeconds(30))!;

        // Check and writes travel as one implicit transaction: the failed check takes the writes with it.
        var nowhere = new FencedPartitionStore(store, new LeaseFence(7, "a", held.Epoch));
        var refused = Assert.Throws<PartitionFencedException>(() => nowhere.Commit([new WriteOp(Table.State, [9], [9])]));
        Assert.Contains("held by nobody", refused.Message, StringComparison.Ordinal);
        Assert.Null(store.Get(Table.State, [9]));

        // The pooled connection that carried the refused batch is fine for the next one.
        new FencedPartitionStore(store, new LeaseFence(held.Partition, "a", held.Epoch)).Commit([new WriteOp(Table.State, [9], [1]), new WriteOp(Table.State, [8], [8]), new WriteOp(Table.State, [8], null)]);
        Assert.Equal([1], store.Get(Table.State, [9]));
        Assert.Null(store.Get(Table.State, [8]));
    }

    [Fact]
    public async Task Leases_renew_on_connections_of_their_own_while_the_stores_pool_is_exhausted()
    {
        // A pool of two that waits at most one second for a free connection.
        using var store = PostgresStore.Open(postgres.NewDatabase() + ";Maximum Pool Size=2;Timeout=1");
        new LeaseTable(store).EnsurePartitions(1);
        Assert.NotNull(new LeaseTable(store).TryAcquire("a", TimeSpan.FromSeconds(30)));
        await using var busy1 = await store.DataSource.OpenConnectionAsync();
        await using var busy2 = await store.DataSource.OpenConnectionAsync();
        Assert.ThrowsAny<Npgsql.NpgsqlException>(() => new LeaseTable(store).Renew("a", TimeSpan.FromSeconds(30)));

        await using var own = store.OpenDedicatedDataSource("keel-leases-test", maxConnections: 2);
        Assert.Single(new LeaseTable(own).Renew("a", TimeSpan.FromSeconds(30)));
    }

    private static PartitionLease? TakeOver(LeaseTable leases, int partition)
    {
        // The free partition goes first; only the expired one is wanted here.
        while (leases.TryAcquire("b", TimeSpan.FromSeconds(30)) is { } lease)
        {
            if (lease.Partition == partition)
            {
                return lease;
            }
        }

        return null;
    }

    [Fact]
    public void Renewal_keeps_a_lease_from_being_taken_and_release_and_leave_free_it_at_once()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.EnsurePartitions(1);
        leases.Heartbeat("a", new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"));
        var lease = leases.TryAcquire("a", TimeSpan.FromSeconds(30))!;
        Assert.Equal([lease.Partition], leases.Renew("a", TimeSpan.FromSeconds(30)).Select(l => l.Partition));
        Assert.Null(leases.TryAcquire("b", TimeSpan.FromSeconds(30)));

        leases.Release("a", lease.Partition);
        var moved = leases.TryAcquire("b", TimeSpan.FromSeconds(30));
        Assert.Equal(lease.Epoch + 1, moved!.Epoch);
        Assert.Empty(leases.Renew("a", TimeSpan.FromSeconds(30)));

        leases.Leave("b");
        var view = leases.Read();
        Assert.Null(Assert.Single(view.Leases).Owner);
        Assert.Equal(["a"], view.Members.Select(m => m.Node));
    }

    [Fact]
    public async Task A_node_frozen_inside_a_batch_transaction_loses_its_locks_after_the_stall_limit_so_its_lease_can_be_taken()
    {
        var database = postgres.NewDatabase();
        using var frozen = PostgresStore.Open(database, stalledTransactionLimit: TimeSpan.FromSeconds(2));
        using var other = PostgresStore.Open(database);
        var leases = new LeaseTable(other);
        leases.EnsurePartitions(1);
        var held = new LeaseTable(frozen).TryAcquire("a", TimeSpan.FromMilliseconds(200))!;

        // "a" starts a fenced batch and freezes before committing: its share lock on the lease row stays.
        await using var connection = await frozen.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var check = new Npgsql.NpgsqlCommand("SELECT epoch FROM keel_leases WHERE partition = $1 FOR SHARE", connection, transaction))
        {
            check.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = held.Partition });
            await check.ExecuteScalarAsync();
        }

        // Once the database ends the stalled session, the expired lease is free for "b".
        PartitionLease? taken = null;
        await Eventually.UntilAsync(() => Task.FromResult((taken = leases.TryAcquire("b", TimeSpan.FromSeconds(30))) is not null), TimeSpan.FromSeconds(20), "b to take the lease");
        Assert.Equal(held.Epoch + 1, taken!.Epoch);
    }
}
