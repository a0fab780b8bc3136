using System.Text;
using Keel.Server.Cluster;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Postgres.Tests.Cluster;

/// <summary>A storage migration on a database the nodes share: refused while a node of the older format is alive, run once otherwise.</summary>
public sealed class SharedDatabaseUpgradeTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(8);

    /// <summary>A database as the first format left it: a partition count and no format marker.</summary>
    private static PostgresStore OlderFormat(string connectionString)
    {
        var store = PostgresStore.Open(connectionString);
        store.Commit([new WriteOp(Table.Meta, Keys.Meta("partitions"), Encoding.UTF8.GetBytes("4"))]);
        Assert.Equal(1, StorageUpgrade.DetectFormat(store));
        return store;
    }

    [Fact]
    public void A_node_that_must_migrate_refuses_to_start_while_a_node_of_the_older_format_is_alive_and_migrates_once_it_left()
    {
        using var store = OlderFormat(postgres.NewDatabase());
        var leases = new LeaseTable(store);
        leases.Heartbeat("old-node", new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"));

        var refused = Assert.Throws<InvalidOperationException>(() => SharedDatabaseUpgrade.Prepare(store, "new-node", Lease, NullLogger.Instance));
        Assert.Contains("old-node still run on it", refused.Message, StringComparison.Ordinal);
        Assert.Contains("stop every node", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, StorageUpgrade.DetectFormat(store));

        leases.Leave("old-node");
        SharedDatabaseUpgrade.Prepare(store, "new-node", Lease, NullLogger.Instance);
        Assert.Equal(StorageFormat.Version, StorageUpgrade.DetectFormat(store));
    }

    [Fact]
    public void A_node_restarting_under_its_own_name_is_not_counted_as_another_node()
    {
        using var store = OlderFormat(postgres.NewDatabase());
        new LeaseTable(store).Heartbeat("node-1", new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"));

        SharedDatabaseUpgrade.Prepare(store, "node-1", Lease, NullLogger.Instance);
        Assert.Equal(StorageFormat.Version, StorageUpgrade.DetectFormat(store));
    }

    [Fact]
    public async Task Nodes_starting_together_take_turns_and_the_database_is_migrated_once()
    {
        var database = postgres.NewDatabase();
        using (OlderFormat(database))
        {
        }

        var starts = Enumerable.Range(1, 3).Select(i => Task.Run(() =>
        {
            using var store = PostgresStore.Open(database);
            SharedDatabaseUpgrade.Prepare(store, $"node-{i}", Lease, NullLogger.Instance);
            return StorageUpgrade.DetectFormat(store);
        })).ToList();

        Assert.All(await Task.WhenAll(starts), format => Assert.Equal(StorageFormat.Version, format));
    }

    [Fact]
    public void A_database_of_the_current_format_is_left_alone_whoever_is_alive()
    {
        using var store = PostgresStore.Open(postgres.NewDatabase());
        store.Commit([new WriteOp(Table.Meta, Keys.Meta("format"), Encoding.UTF8.GetBytes(StorageFormat.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        new LeaseTable(store).Heartbeat("other", new Uri("http://127.0.0.1:1/"), new Uri("http://127.0.0.1:2/"));

        SharedDatabaseUpgrade.Prepare(store, "me", Lease, NullLogger.Instance);
        Assert.Equal(StorageFormat.Version, StorageUpgrade.DetectFormat(store));
    }
}
