using Keel.Server.Core.Tests.Storage;
using Keel.Server.Storage;
using Npgsql;

namespace Keel.Server.Postgres.Tests.Storage;

public sealed class PostgresStoreContractTests(PostgresFixture postgres) : KeyValueStoreContract, IClassFixture<PostgresFixture>
{
    private readonly Dictionary<IKeyValueStore, string> _where = [];

    protected override IKeyValueStore OpenEmpty()
    {
        var connectionString = postgres.NewDatabase();
        var store = PostgresStore.Open(connectionString);
        _where[store] = connectionString;
        return store;
    }

    protected override IKeyValueStore Reopen(IKeyValueStore store) => PostgresStore.Open(_where[store]);

    [Fact]
    public void The_schema_is_created_once_and_a_newer_layout_is_refused()
    {
        var connectionString = postgres.NewDatabase();
        PostgresStore.Open(connectionString).Dispose();
        PostgresStore.Open(connectionString).Dispose();
        using (var connection = new NpgsqlConnection(connectionString))
        {
            connection.Open();
            using var count = new NpgsqlCommand("SELECT count(*) FROM keel_schema_version", connection);
            Assert.Equal(1L, count.ExecuteScalar());
            using var newer = new NpgsqlCommand("UPDATE keel_schema_version SET version = 99", connection);
            newer.ExecuteNonQuery();
        }

        var refused = Assert.Throws<InvalidOperationException>(() => PostgresStore.Open(connectionString));
        Assert.Contains("layout 99", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreachable_database_fails_loudly_at_open()
    {
        var closed = $"Host=127.0.0.1;Port={Keel.TestSupport.FreePort.Next()};Username=postgres;Timeout=3";
        Assert.ThrowsAny<NpgsqlException>(() => PostgresStore.Open(closed));
    }

    [Fact]
    public void A_batch_the_database_refuses_throws_and_writes_nothing()
    {
        var connectionString = postgres.NewDatabase();
        using var store = PostgresStore.Open(connectionString);
        store.Commit([new WriteOp(Table.State, [1], [1])]);
        using (var connection = new NpgsqlConnection(connectionString))
        {
            connection.Open();
            // A constraint the second write breaks: the batch fails inside its transaction, so the first write must not stay either.
            using var constrain = new NpgsqlCommand("ALTER TABLE keel_kv ADD CONSTRAINT small CHECK (octet_length(value) < 4)", connection);
            constrain.ExecuteNonQuery();
        }

        Assert.ThrowsAny<NpgsqlException>(() => store.Commit([new WriteOp(Table.State, [2], [2]), new WriteOp(Table.State, [3], [3, 3, 3, 3])]));
        Assert.Null(store.Get(Table.State, [2]));
        Assert.Equal([1], store.Get(Table.State, [1]));
    }
}
