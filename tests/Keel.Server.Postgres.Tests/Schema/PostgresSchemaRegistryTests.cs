using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Hosting;
using Npgsql;

namespace Keel.Server.Postgres.Tests.Schema;

/// <summary>The schema registry on PostgreSQL: several registries on one database act as the nodes of a cluster.</summary>
public sealed class PostgresSchemaRegistryTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    /// <summary>So long that only a refresh on a miss (or a write) can bring another node's change.</summary>
    private static readonly TimeSpan NoPoll = TimeSpan.FromHours(1);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static SchemaRegistry Open(string connectionString, TimeSpan? poll = null) =>
        new(PostgresSchemaDocumentStore.Open(connectionString), poll ?? NoPoll);

    private static Registration Register(SchemaRegistry schema, string service, int port)
    {
        var deployment = new DeploymentInfo(DeploymentIds.New(DateTimeOffset.UtcNow), new Uri($"http://127.0.0.1:{port}/"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), null, DateTimeOffset.UtcNow);
        ServiceInfo[] services = [new(service, ServiceType.VirtualObject, string.Empty, new Dictionary<string, HandlerInfo> { ["add"] = new("add", HandlerType.Exclusive) }, 0)];
        return schema.Register(deployment, services, overwrite: false, allowBreaking: false, dryRun: false);
    }

    [Fact]
    public void Registrations_survive_a_new_registry_on_the_same_database()
    {
        var database = postgres.NewDatabase();
        string id;
        using (var first = Open(database))
        {
            id = Register(first, "Counter", 9080).Deployment.Id;
            Assert.Equal(ModifyOutcome.Modified, first.Modify("Counter", new ServiceChanges(Public: false), out _));
        }

        using var reopened = Open(database);
        Assert.True(reopened.TryGetService("Counter", out var counter));
        Assert.Equal((id, 1, false), (counter.DeploymentId, counter.Revision, counter.Public));
        Assert.Equal(id, reopened.Deployments.Single().Id);
        Assert.Equal(RegistrationResult.Unchanged, Register(reopened, "Counter", 9080).Result);
    }

    [Fact]
    public void A_registration_on_one_node_is_found_on_another_at_once_when_it_misses()
    {
        var database = postgres.NewDatabase();
        using var a = Open(database);
        using var b = Open(database);
        Assert.Empty(b.Services);

        var registered = Register(a, "Counter", 9080);

        Assert.True(b.TryGetHandler("Counter", "add", out var service, out var handler));
        Assert.Equal((registered.Deployment.Id, HandlerType.Exclusive), (service.DeploymentId, handler.Kind));
        Assert.True(b.TryGetDeployment(registered.Deployment.Id, out _));
        Assert.NotNull(b.GetDeployment(registered.Deployment.Id));
        Assert.True(b.Snapshot().TryGetService("Counter", out _));

        // Misses are rate-limited (a flood of unknown names costs the database little), not ignored:
        // one that comes after the interval finds what was registered since.
        Assert.False(b.TryGetService("Ledger", out _));
        Register(a, "Ledger", 9081);
        Assert.True(SpinWait.SpinUntil(() => b.TryGetService("Ledger", out _), Patience));
    }

    [Fact]
    public void A_registration_on_one_node_reaches_another_by_the_poll()
    {
        var database = postgres.NewDatabase();
        using var a = Open(database);
        using var b = Open(database, TimeSpan.FromMilliseconds(50));

        Register(a, "Counter", 9080);

        // The lists do not refresh on their own: only the poll can bring the deployment.
        Assert.True(SpinWait.SpinUntil(() => b.Deployments.Count == 1 && b.Services.Count == 1, Patience));
    }

    [Fact]
    public void Settings_changed_on_one_node_reach_the_other()
    {
        var database = postgres.NewDatabase();
        using var a = Open(database);
        using var b = Open(database, TimeSpan.FromMilliseconds(50));
        Register(a, "Counter", 9080);
        Assert.True(b.TryGetService("Counter", out var before));
        Assert.True(before.Public);

        Assert.Equal(ModifyOutcome.Modified, a.Modify("Counter", new ServiceChanges(Public: false, IdempotencyRetention: TimeSpan.FromMinutes(5)), out _));

        Assert.True(SpinWait.SpinUntil(() => b.TryGetService("Counter", out var after) && !after.Public && after.IdempotencyRetention == TimeSpan.FromMinutes(5), Patience));
    }

    [Fact]
    public void A_change_starts_from_what_other_nodes_saved()
    {
        var database = postgres.NewDatabase();
        using var a = Open(database);
        using var b = Open(database);
        var registered = Register(a, "Counter", 9080);

        // b has not read anything since a registered: its writes read the database first.
        Assert.Equal(ModifyOutcome.Modified, b.Modify("Counter", new ServiceChanges(Public: false), out var modified));
        Assert.Equal(registered.Deployment.Id, modified.DeploymentId);
        Assert.Equal(RegistrationResult.Unchanged, Register(b, "Counter", 9080).Result);
        Register(b, "Ledger", 9081);

        Assert.True(a.RemoveDeployment(registered.Deployment.Id));
        Assert.False(b.RemoveDeployment(registered.Deployment.Id));
        using var c = Open(database);
        Assert.Equal(["Ledger"], c.Services.Select(s => s.Name));
    }

    [Fact]
    public async Task Concurrent_registrations_on_two_nodes_all_survive()
    {
        var database = postgres.NewDatabase();
        using var a = Open(database);
        using var b = Open(database);
        const int Each = 10;
        using var start = new Barrier(2);

        void RegisterMany(SchemaRegistry schema, string prefix, int firstPort)
        {
            start.SignalAndWait();
            for (var i = 0; i < Each; i++)
            {
                Assert.Equal(RegistrationResult.Created, Register(schema, $"{prefix}{i}", firstPort + i).Result);
            }
        }

        await Task.WhenAll(
            Task.Run(() => RegisterMany(a, "Alpha", 10_000)),
            Task.Run(() => RegisterMany(b, "Beta", 20_000)));

        using var c = Open(database);
        Assert.Equal(2 * Each, c.Deployments.Count);
        Assert.Equal(2 * Each, c.Services.Count);
        Assert.All(c.Services, s => Assert.Equal(1, s.Revision));
    }

    [Fact]
    public void A_database_created_before_the_registry_table_gets_it_on_the_next_start()
    {
        var database = postgres.NewDatabase();
        PostgresStore.Open(database).Dispose();
        using (var connection = new NpgsqlConnection(database))
        {
            connection.Open();
            using var drop = new NpgsqlCommand("DROP TABLE keel_schema_registry", connection);
            drop.ExecuteNonQuery();
        }

        using var schema = Open(database);
        Register(schema, "Counter", 9080);
        using var other = Open(database);
        Assert.True(other.TryGetService("Counter", out _));
    }

    [Fact]
    public void A_server_on_postgres_imports_the_schema_its_data_directory_kept_before()
    {
        var database = postgres.NewDatabase();
        var directory = Directory.CreateTempSubdirectory("keel-schema-import-").FullName;
        try
        {
            string id;
            using (var local = new SchemaRegistry(directory))
            {
                id = Register(local, "Counter", 9080).Deployment.Id;
            }

            var settings = new ServerSettings { Storage = StorageKind.Postgres, PostgresConnectionString = database, DataDirectory = directory };
            using (var imported = new Keel.Server.Cluster.PostgresStorage(new Keel.Server.Cluster.ClusterHandle()).OpenSchemaRegistry(settings, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
            {
                Assert.True(imported.TryGetDeployment(id, out _));
                Register(imported, "Ledger", 9081);
            }

            // Once the database has a document, the file is not read again.
            using var again = new Keel.Server.Cluster.PostgresStorage(new Keel.Server.Cluster.ClusterHandle()).OpenSchemaRegistry(settings, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Assert.Equal(2, again.Deployments.Count);
            using var file = new SchemaRegistry(directory);
            Assert.Single(file.Deployments);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
