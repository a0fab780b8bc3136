using System.Collections.Concurrent;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Keel.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Tests.Admin;

/// <summary>A registry on a shared store that fails for a while (a database restarting): reads go on, the poll recovers.</summary>
public class SchemaRegistrySyncTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_store_that_cannot_be_read_leaves_the_last_schema_in_place_and_the_poll_catches_up_once_it_can()
    {
        var store = new SharedMemoryStore();
        var log = new RecordingLogger();
        using var writer = new SchemaRegistry(store, TimeSpan.FromHours(1));
        using var reader = new SchemaRegistry(store, TimeSpan.FromMilliseconds(20), log);
        Register(writer, "Counter", 9080);
        Assert.True(reader.TryGetService("Counter", out _));

        store.Down = true;
        Assert.True(SpinWait.SpinUntil(() => log.Entries.Any(e => e.Level == LogLevel.Warning), Patience));
        Assert.True(reader.TryGetService("Counter", out _));
        Assert.False(reader.TryGetService("Ledger", out _)); // the refresh on a miss fails quietly: not found

        store.Down = false;
        Register(writer, "Ledger", 9081);
        Assert.True(SpinWait.SpinUntil(() => reader.Services.Count == 2 && log.Entries.Any(e => e.Level == LogLevel.Information), Patience));
        Assert.Single(log.Entries, e => e.Level == LogLevel.Warning); // once per outage, not per tick
    }

    [Fact]
    public void A_save_that_loses_to_another_writer_is_computed_again_on_the_newer_document()
    {
        var store = new SharedMemoryStore();
        using var a = new SchemaRegistry(store, TimeSpan.FromHours(1));
        using var b = new SchemaRegistry(store, TimeSpan.FromHours(1));
        Register(a, "Counter", 9080);

        // The next save of b's first attempt finds a newer version (a third writer got in between).
        store.BeforeNextSave = () => Register(a, "Ledger", 9081);
        Register(b, "Cart", 9082);

        using var c = new SchemaRegistry(store, TimeSpan.FromHours(1));
        Assert.Equal(["Cart", "Counter", "Ledger"], c.Services.Select(s => s.Name));
    }

    [Fact]
    public void A_snapshot_taken_before_another_node_registered_a_service_finds_it_by_reading_the_store_again()
    {
        var store = new SharedMemoryStore();
        using var writer = new SchemaRegistry(store, TimeSpan.FromHours(1));
        Register(writer, "Counter", 9080);
        // Read at its start; no lookup has missed yet (a refresh on a miss comes at most once per 50 ms).
        using var reader = new SchemaRegistry(store, TimeSpan.FromHours(1));

        // A partition takes a snapshot per batch; a hand-over in that batch may target what was registered since.
        var snapshot = reader.Snapshot();
        Register(writer, "Ledger", 9081);

        Assert.True(snapshot.TryGetHandler("Ledger", "run", out var ledger, out _));
        Assert.True(snapshot.TryGetDeployment(ledger.DeploymentId, out _));
        Assert.True(snapshot.TryGetService("Counter", out _));
        Assert.False(snapshot.TryGetService("Nowhere", out _));
    }

    private static void Register(SchemaRegistry schema, string service, int port)
    {
        var deployment = new DeploymentInfo(DeploymentIds.New(DateTimeOffset.UtcNow), new Uri($"http://127.0.0.1:{port}/"), ProtocolMode.BidiStream,
            DeploymentHttpVersion.Http2PriorKnowledge, 5, 6, new Dictionary<string, string>(), null, DateTimeOffset.UtcNow);
        ServiceInfo[] services = [new(service, ServiceType.Service, string.Empty, new Dictionary<string, HandlerInfo> { ["run"] = new("run", HandlerType.Shared) }, 0)];
        Assert.Equal(RegistrationResult.Created, schema.Register(deployment, services, overwrite: false, allowBreaking: false, dryRun: false).Result);
    }

    /// <summary>One document in memory shared by several registries, as a database row is by several nodes.</summary>
    private sealed class SharedMemoryStore : ISchemaDocumentStore
    {
        private readonly Lock _gate = new();
        private StoredDocument _stored = new(null, 0);

        public volatile bool Down;

        public Action? BeforeNextSave { get; set; }

        public bool IsShared => true;

        public StoredDocument Load()
        {
            lock (_gate)
            {
                ThrowIfDown();
                return _stored;
            }
        }

        public long ReadVersion()
        {
            lock (_gate)
            {
                ThrowIfDown();
                return _stored.Version;
            }
        }

        public bool TrySave(byte[] content, long expectedVersion)
        {
            var before = BeforeNextSave;
            BeforeNextSave = null;
            before?.Invoke();
            lock (_gate)
            {
                ThrowIfDown();
                if (expectedVersion != _stored.Version)
                {
                    return false;
                }

                _stored = new StoredDocument(content, expectedVersion + 1);
                return true;
            }
        }

        private void ThrowIfDown()
        {
            if (Down)
            {
                throw new IOException("the store is down");
            }
        }

        public void Dispose()
        {
        }
    }

    private sealed class RecordingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
