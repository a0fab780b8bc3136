using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Protocol.Framing;
using Google.Protobuf;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Core.Tests.Storage.Migrations;

/// <summary>
/// Format 1 → 2 on a directory holding one of each kind of record format 1 kept: every record keeps
/// its meaning, in-flight work continues on the runtime afterwards, an interrupted migration ends in the
/// same directory as an uninterrupted one, and a dry run writes nothing.
/// </summary>
public class Format1To2Tests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PartitionMap Map = new(2);

    // One invocation per phase, with the ids the old server would have given them.
    private static readonly InvocationId Completed = InvocationId.Deterministic(PartitionMap.KeyOf("Counter", "idem"), "ik", "Counter", "idem", "add", "ik-1");
    private static readonly InvocationId Sleeping = InvocationId.New(PartitionMap.KeyOf("Counter", "sleep"), T0);
    private static readonly InvocationId Queued = InvocationId.New(PartitionMap.KeyOf("Counter", "sleep"), T0.AddSeconds(1));
    private static readonly InvocationId Delayed = InvocationId.New(PartitionMap.KeyOf("Counter", "later"), T0);
    private static readonly InvocationId Retrying = InvocationId.New(0x10, T0);
    private static readonly InvocationId Running = InvocationId.New(0xF000_0000_0000_0011, T0);
    private static readonly InvocationId Workflow = InvocationId.Deterministic(PartitionMap.KeyOf("Signup", "wf"), "ik", "Signup", "wf", "run", "workflow");

    private static readonly byte[] Input = new InputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("1") } }.ToByteArray();
    private static readonly byte[] SleepOneHour = new SleepCommandMessage { WakeUpTime = (ulong)T0.AddHours(1).ToUnixTimeMilliseconds(), ResultCompletionId = 1 }.ToByteArray();

    private static JsonObject Status(string service, string handler, string? key, int serviceType, int? handlerKind, InvocationPhase phase, uint journalLength = 1)
    {
        var status = new JsonObject
        {
            ["Service"] = service, ["Handler"] = handler, ["Key"] = key, ["ServiceType"] = serviceType, ["HandlerKind"] = handlerKind,
            ["Phase"] = (int)phase, ["Attempt"] = 1, ["DeploymentId"] = "dp_test", ["ProtocolVersion"] = 5,
            ["JournalLength"] = journalLength, ["CommandCount"] = journalLength, ["RetryCountSinceLastStoredEntry"] = 0, ["FailedAttempts"] = 0,
            ["LastStoredEntryAt"] = T0.ToString("O"), ["CallerId"] = null, ["CallerCompletionId"] = null, ["AttachedCallers"] = new JsonArray(),
            ["IdempotencyKey"] = null, ["RandomSeed"] = 42, ["CreatedAt"] = T0.ToString("O"), ["ExecutionTime"] = null, ["PendingOutput"] = null,
            ["Result"] = null, ["LastFailure"] = null, ["RetainUntil"] = null, ["WaitingCompletions"] = new JsonArray(),
            ["WaitingSignals"] = new JsonArray(), ["WaitingNamedSignals"] = new JsonArray(),
        };
        return status;
    }

    private static JsonObject With(JsonObject o, params (string Name, JsonNode? Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            o[name] = value;
        }

        return o;
    }

    /// <summary>A format-1 directory as the old server left it mid-flight (partitions: key modulo 2).</summary>
    private static MemoryStore Format1Directory()
    {
        var store = new MemoryStore();
        const int Object = 1, Service = 0, WorkflowType = 2, Exclusive = 1, Shared = 2, WorkflowKind = 0;
        new Format1Store(store)
            .Partitions(2)
            // A completed idempotent call: result retained for a day, journal already deleted (format 1 did at completion).
            .Status(Completed, With(Status("Counter", "add", "idem", Object, Exclusive, InvocationPhase.Completed, journalLength: 3),
                ("IdempotencyKey", "ik-1"), ("Result", new JsonObject { ["Success"] = true, ["Value"] = Convert.ToBase64String("7"u8), ["Code"] = 0 }),
                ("RetainUntil", T0.AddDays(1).ToString("O"))))
            .Idempotency("Counter", "idem", "add", "ik-1", Completed)
            .State("Counter", "idem", "counter", "7"u8.ToArray())
            // A suspended invocation holding its key's lock, sleeping an hour; another one queued behind it.
            .Status(Sleeping, With(Status("Counter", "add", "sleep", Object, Exclusive, InvocationPhase.Suspended, journalLength: 2), ("WaitingCompletions", new JsonArray(1))))
            .Journal(Sleeping, 0, (ushort)MessageType.InputCommand, Input)
            .Journal(Sleeping, 1, (ushort)MessageType.SleepCommand, SleepOneHour)
            .Lock("Counter", "sleep", Sleeping)
            .Timer(T0.AddHours(1), Sleeping, TimerKind.Sleep, 1)
            .Status(Queued, Status("Counter", "add", "sleep", Object, Exclusive, InvocationPhase.Inboxed))
            .Journal(Queued, 0, (ushort)MessageType.InputCommand, Input)
            .Inbox("Counter", "sleep", 5, Queued)
            .Counter("seq/inbox/1", 5)
            // A delayed send due in two hours.
            .Status(Delayed, With(Status("Counter", "add", "later", Object, Exclusive, InvocationPhase.Scheduled), ("ExecutionTime", T0.AddHours(2).ToString("O"))))
            .Journal(Delayed, 0, (ushort)MessageType.InputCommand, Input)
            .Timer(T0.AddHours(2), Delayed, TimerKind.Scheduled)
            // A failed attempt backing off, and one running.
            .Status(Retrying, With(Status("Greeter", "greet", null, Service, Shared, InvocationPhase.BackingOff), ("LastFailure", "[500] boom"), ("FailedAttempts", 1)))
            .Journal(Retrying, 0, (ushort)MessageType.InputCommand, Input)
            .Timer(T0.AddSeconds(10), Retrying, TimerKind.Retry)
            .Status(Running, Status("Greeter", "greet", null, Service, Shared, InvocationPhase.Invoked))
            .Journal(Running, 0, (ushort)MessageType.InputCommand, Input)
            // A workflow waiting on promise "q", with promise "p" resolved.
            .Status(Workflow, With(Status("Signup", "run", "wf", WorkflowType, WorkflowKind, InvocationPhase.Suspended, journalLength: 2), ("WaitingCompletions", new JsonArray(2))))
            .Journal(Workflow, 0, (ushort)MessageType.InputCommand, Input)
            .Journal(Workflow, 1, (ushort)MessageType.GetPromiseCommand, new GetPromiseCommandMessage { Key = "q", ResultCompletionId = 2 }.ToByteArray())
            .WorkflowRun("Signup", "wf", Workflow)
            .Lock("Signup", "wf", Workflow)
            .Promise("Signup", "wf", "p", new JsonObject { ["Success"] = true, ["Value"] = Convert.ToBase64String("yes"u8), ["Code"] = 0 })
            .PromiseListener("Signup", "wf", "q", Workflow, 2)
            // Two hand-overs from old partition 0 to old partition 1: the first applied (awaiting its ack), the second not yet.
            .Outbox(0, 1, new JsonObject { ["Target"] = 1, ["Op"] = new JsonObject { ["op"] = "cancel", ["TargetId"] = Queued.ToString() } })
            .Outbox(0, 2, new JsonObject { ["Target"] = 1, ["Op"] = new JsonObject { ["op"] = "notify", ["TargetId"] = Running.ToString(), ["Type"] = (int)MessageType.SignalNotification,
                ["Payload"] = Convert.ToBase64String(new NotificationTemplate { SignalId = 17, Void = new Unit() }.ToByteArray()) } })
            .Counter("seq/outbox/0", 2)
            .Counter("delivered/1/0", 1);
        return store;
    }

    private static ulong RangeOf(InvocationId id) => Map.RangeStart(Map.PartitionOf(id.PartitionKey));

    private static InvocationRecord Record(IKeyValueStore store, InvocationId id) => RecordCodec.DecodeInvocation(id, store.Get(Table.Status, Keys.Invocation(id))!);

    [Fact]
    public void Every_kind_of_format_1_record_keeps_its_meaning_in_format_2()
    {
        var store = Format1Directory();
        Assert.Equal(1, StorageUpgrade.DetectFormat(store));

        var report = Assert.Single(StorageUpgrade.Run(store));

        Assert.Equal(2, StorageUpgrade.DetectFormat(store));
        Assert.Equal(2, StorageUpgrade.RecordedPartitions(store));
        Assert.Equal(["format", "partitions"], store.Dump().Where(e => e.Table == Table.Meta).Select(e => Encoding.UTF8.GetString(e.Key)).Order());

        // Statuses: protobuf now, each phase and what it waits for kept; indexes built.
        var completed = Record(store, Completed);
        Assert.Equal(InvocationPhase.Completed, completed.Phase);
        Assert.Equal("7", Encoding.UTF8.GetString(completed.Result!.Value!));
        Assert.Equal(T0.AddDays(1), completed.RetainUntil);
        Assert.Equal(0u, completed.JournalLength);
        Assert.Equal("ik-1", completed.IdempotencyKey);
        Assert.NotNull(store.Get(Table.Retention, Keys.Retention(RangeOf(Completed), T0.AddDays(1), Completed)));
        var sleeping = Record(store, Sleeping);
        Assert.Equal((InvocationPhase.Suspended, 2u), (sleeping.Phase, sleeping.JournalLength));
        Assert.Equal([1u], sleeping.WaitingCompletions);
        var queued = Record(store, Queued);
        Assert.Equal((InvocationPhase.Inboxed, 5UL), (queued.Phase, queued.InboxSequence));
        Assert.Equal((InvocationPhase.Scheduled, T0.AddHours(2)), (Record(store, Delayed).Phase, Record(store, Delayed).ExecutionTime));
        var retrying = Record(store, Retrying);
        Assert.Equal((InvocationPhase.BackingOff, T0.AddSeconds(10), 500u, "boom"), (retrying.Phase, retrying.NextRetryAt, retrying.LastFailure!.Code, retrying.LastFailure.Message));
        Assert.Equal(InvocationPhase.Invoked, Record(store, Running).Phase);
        Assert.Equal([Running], store.Dump().Where(e => e.Table == Table.Active).Select(e => Keys.ActiveId(e.Key)));
        Assert.Equal((InvocationPhase.Suspended, "wf"), (Record(store, Workflow).Phase, Record(store, Workflow).Key));

        // Journals as they were.
        Assert.Equal(SleepOneHour, JournalValue.Decode(store.Get(Table.Journal, Keys.JournalEntry(Sleeping, 1))!).Payload.ToArray());

        // Keyed tables under their partition keys.
        Assert.Equal("7"u8.ToArray(), store.Get(Table.State, Keys.StateEntry("Counter", "idem", "counter")));
        Assert.Equal(Sleeping.ToBytes(), store.Get(Table.Locks, Keys.Object("Counter", "sleep")));
        Assert.Equal(Workflow.ToBytes(), store.Get(Table.Locks, Keys.Object("Signup", "wf")));
        Assert.Equal(Queued.ToBytes(), store.Get(Table.Inbox, Keys.InboxEntry("Counter", "sleep", 5)));
        Assert.Equal(Completed.ToBytes(), store.Get(Table.Idempotency, Keys.Idempotency("Counter", "idem", "add", "ik-1")));
        Assert.Equal(Workflow.ToBytes(), store.Get(Table.Idempotency, Keys.WorkflowRun("Signup", "wf")));
        Assert.Equal("yes", Encoding.UTF8.GetString(RecordCodec.DecodePromise(store.Get(Table.Promises, Keys.Promise("Signup", "wf", "p"))!).Value!));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(store.Get(Table.Promises, [.. Keys.Promise("Signup", "wf", "q"), 0x01, .. Workflow.ToBytes()])!));

        // Timers in their partition's range, due when they were.
        Assert.NotNull(store.Get(Table.Timers, Keys.Timer(RangeOf(Sleeping), T0.AddHours(1), Sleeping, TimerKind.Sleep, 1)));
        Assert.NotNull(store.Get(Table.Timers, Keys.Timer(RangeOf(Delayed), T0.AddHours(2), Delayed, TimerKind.Scheduled, 0)));
        Assert.NotNull(store.Get(Table.Timers, Keys.Timer(RangeOf(Retrying), T0.AddSeconds(10), Retrying, TimerKind.Retry, 0)));

        // The applied hand-over is dropped; the pending one waits in another partition's outbox for the target's partition.
        var outbox = Assert.Single(store.Dump(), e => e.Table == Table.Outbox);
        var target = Map.PartitionOf(Running.PartitionKey);
        var source = (target + 1) % 2;
        Assert.Equal(Keys.Outbox(Map.RangeStart(source), 1), outbox.Key);
        var (to, op, previous) = OutboxCodec.Decode(outbox.Value);
        Assert.Equal((target, 0UL), (to, previous));
        Assert.Equal(Running.ToString(), Assert.IsType<RemoteOp.NotifyInvocation>(op).TargetId);
        Assert.Equal(1UL, U64(store.Get(Table.Fsm, Keys.Fsm(Map.RangeStart(source), "seq/outbox"))!));
        Assert.Equal(1UL, U64(store.Get(Table.Fsm, Keys.Fsm(Map.RangeStart(source), $"sent/{target}"))!));
        Assert.All(Enumerable.Range(0, 2), p => Assert.Equal(5UL, U64(store.Get(Table.Fsm, Keys.Fsm(Map.RangeStart(p), "seq/inbox"))!)));

        // Nothing else is left over (every keyed table holds exactly what was converted).
        Assert.Equal(7, store.Dump().Count(e => e.Table == Table.Status));
        Assert.Equal(1, store.Dump().Count(e => e.Table == Table.State));
        Assert.Equal(3, store.Dump().Count(e => e.Table == Table.Timers));
        Assert.Equal(2, store.Dump().Count(e => e.Table == Table.Promises));
        Assert.Equal((1, 1, 1, 1, 1), (report["status/completed"], report["status/inboxed"], report["timers/sleep"], report["outbox entries"], report["outbox entries already applied (dropped)"]));
    }

    [Fact]
    public async Task In_flight_work_continues_on_the_runtime_after_the_migration()
    {
        var store = Format1Directory();
        var clock = new FakeTimeProvider(T0.AddMinutes(1));
        var invoker = new RecordingInvoker();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 2 }, new FakeSchema(), invoker, clock);
        await runtime.StartAsync(store);

        // Recovery resumes the running one; the retained idempotent output answers for its key.
        await invoker.Started(Running);
        var output = await runtime.GetOutputAsync(new InvocationQuery.Idempotent("Counter", "idem", "add", "ik-1"), wait: false, CancellationToken.None);
        Assert.Equal(OutputStatus.Ready, output.Status);
        Assert.Equal("7", Encoding.UTF8.GetString(Assert.IsType<InvocationResult.Success>(output.Result).Value.Span));

        // The timers fire when due: the retry, the sleep (the suspended invocation resumes), the delayed send.
        // The partitions arm their timer windows on their own threads, on the test clock: time moves on
        // in small steps until each has fired (a window armed after a step fires at the next one).
        Assert.False(invoker.HasStarted(Delayed));
        clock.Advance(TimeSpan.FromHours(2));
        await invoker.StartedWhileAdvancing(Retrying, clock);
        await invoker.StartedWhileAdvancing(Sleeping, clock);
        await invoker.StartedWhileAdvancing(Delayed, clock);
        Assert.Equal(1, invoker.Starts(Delayed));
    }

    [Fact]
    public void A_migration_interrupted_after_any_batch_is_finished_by_the_next_run_with_the_same_result()
    {
        var reference = Format1Directory();
        StorageUpgrade.Run(reference, new MigrationOptions { BatchSize = 2 });
        var expected = Describe(reference);

        for (var crashAfter = 0; ; crashAfter++)
        {
            var store = Format1Directory();
            var crashing = new CrashingStore(store, crashAfter);
            try
            {
                StorageUpgrade.Run(crashing, new MigrationOptions { BatchSize = 2 });
                break;   // it got through: every crash point before this one was tried
            }
            catch (CrashingStore.Crash)
            {
            }

            Assert.Equal(1, StorageUpgrade.DetectFormat(store));
            StorageUpgrade.Run(store, new MigrationOptions { BatchSize = 5 });
            Assert.Equal(expected, Describe(store));
        }
    }

    [Fact]
    public void A_dry_run_writes_nothing_and_reports_what_a_real_run_does()
    {
        var store = Format1Directory();
        var before = Describe(store);
        var dry = Assert.Single(StorageUpgrade.Run(store, new MigrationOptions { DryRun = true }));
        Assert.Equal(before, Describe(store));
        Assert.True(dry.DryRun);

        var real = Assert.Single(StorageUpgrade.Run(store));
        Assert.Equal(real.Counts, dry.Counts);
        Assert.Equal(0, dry.Batches);
    }

    [Theory]
    [InlineData("3", "format 3, written by a newer Keel server")]
    [InlineData("two", "not a format Keel wrote")]
    public async Task Newer_or_unknown_formats_are_refused_with_a_clear_message(string marker, string message)
    {
        var store = new MemoryStore();
        store.Commit([new WriteOp(Table.Meta, Keys.Meta("format"), Encoding.UTF8.GetBytes(marker)), new WriteOp(Table.Meta, Keys.Meta("partitions"), "2"u8.ToArray())]);
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 2 }, new FakeSchema(), new RecordingInvoker(), TimeProvider.System);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => runtime.StartAsync(store));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_step_of_the_registry_follows_the_previous_one_up_to_the_current_format()
    {
        Assert.Equal(Enumerable.Range(1, StorageFormat.Version - 1), StorageUpgrade.Steps.Select(s => s.From));
    }

    private static string Describe(MemoryStore store) =>
        string.Join('\n', store.Dump().Select(e => $"{e.Table} {Convert.ToHexString(e.Key)} {Convert.ToHexString(e.Value)}"));

    private static ulong U64(byte[] bytes) => BinaryPrimitives.ReadUInt64BigEndian(bytes);

    /// <summary>Forwards to a store and fails every commit after the first <c>commits</c>, as a kill between two batches would.</summary>
    private sealed class CrashingStore(IKeyValueStore inner, int commits) : IKeyValueStore
    {
        private int _left = commits;

        public sealed class Crash : Exception;

        public byte[]? Get(Table table, ReadOnlySpan<byte> key) => inner.Get(table, key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => inner.Scan(table, from, to);

        public void Commit(IReadOnlyList<WriteOp> writes)
        {
            if (_left-- <= 0)
            {
                throw new Crash();
            }

            inner.Commit(writes);
        }

        public IStoreSnapshot OpenSnapshot() => inner.OpenSnapshot();

        public void Dispose()
        {
        }
    }

    private sealed class RecordingInvoker : IInvoker
    {
        private readonly ConcurrentDictionary<InvocationId, int> _starts = new();
        private readonly ConcurrentDictionary<InvocationId, TaskCompletionSource> _started = new();

        public void Start(InvokeRequest request)
        {
            _starts.AddOrUpdate(request.Id, 1, (_, n) => n + 1);
            Signal(request.Id).TrySetResult();
        }

        public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
        {
        }

        public void Abort(InvocationId id, int attempt)
        {
        }

        public bool HasStarted(InvocationId id) => _starts.ContainsKey(id);

        public int Starts(InvocationId id) => _starts.GetValueOrDefault(id);

        public Task Started(InvocationId id) => Signal(id).Task.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>Waits for the id's start, moving the clock a second on whenever a short wait passes without it.</summary>
        public async Task StartedWhileAdvancing(InvocationId id, FakeTimeProvider clock)
        {
            var started = Signal(id).Task;
            for (var step = 0; step < 300 && !started.IsCompleted; step++)
            {
                await Task.WhenAny(started, Task.Delay(100));
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            Assert.True(started.IsCompleted, $"{id} was not started; started: {string.Join(", ", _starts.Keys)}");
        }

        private TaskCompletionSource Signal(InvocationId id) => _started.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
