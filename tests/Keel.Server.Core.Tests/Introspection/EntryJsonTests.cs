using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Core.Tests.Partitions;
using Keel.Server.Introspection;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Introspection;

/// <summary>
/// <c>sys_journal.entry_json</c> against restate-server 1.7.12's own. The samples in
/// Fixtures/restate-1.7.12-journal.json are sys_journal rows that restate-server 1.7.12 wrote for the
/// services of tests/oracles/services/entries.mjs (Fixtures/README.md says how): for each one, Keel
/// reads the same protocol message (the row's <c>raw</c>) and must write the same JSON.
/// </summary>
public class EntryJsonTests
{
    private static readonly Lazy<IReadOnlyList<Sample>> Samples = new(LoadSamples);

    public static TheoryData<string> EntryKinds => [.. Samples.Value.Select(s => s.EntryType).Distinct().Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(EntryKinds))]
    public void Each_entry_kind_is_written_as_restate_server_writes_it(string entryType)
    {
        var keel = KeelJsonOf(Samples.Value, new OracleSchema());

        var samples = Samples.Value.Where(s => s.EntryType == entryType).ToList();
        Assert.NotEmpty(samples);
        Assert.All(samples, s => Assert.Equal(s.EntryJson, keel[(s.Id, s.Index)]));
    }

    [Fact]
    public void The_samples_hold_every_kind_of_command_and_notification()
    {
        var kinds = Enum.GetValues<MessageType>().Where(t => t.IsCommand() || t.IsNotification()).Select(JournalRows.EntryTypeName).ToHashSet();

        Assert.Equal(kinds.Order(StringComparer.Ordinal), Samples.Value.Select(s => s.EntryType).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_a_schema_a_keyed_call_target_counts_as_an_exclusive_object_handler()
    {
        var keel = KeelJsonOf(Samples.Value, schema: null);

        foreach (var sample in Samples.Value)
        {
            var target = JsonNode.Parse(sample.EntryJson)?["Command"]?.AsObject().Single().Value?["request"]?["invocation_target"];
            var expected = target?["Workflow"] is { } workflow
                ? sample.EntryJson.Replace("\"Workflow\":{", "\"VirtualObject\":{", StringComparison.Ordinal)
                    .Replace($"\"handler_ty\":\"{workflow["handler_ty"]}\"", "\"handler_ty\":\"Exclusive\"", StringComparison.Ordinal)
                : target?["VirtualObject"]?["handler_ty"]?.GetValue<string>() == "Shared"
                    ? sample.EntryJson.Replace("\"handler_ty\":\"Shared\"", "\"handler_ty\":\"Exclusive\"", StringComparison.Ordinal)
                    : sample.EntryJson;
            Assert.Equal(expected, keel[(sample.Id, sample.Index)]);
        }
    }

    /// <summary>Attach / get-output by workflow or idempotent request: not in the samples (the TypeScript SDK attaches by id only); the shapes of Restate's ServiceId and IdempotencyId.</summary>
    [Fact]
    public void Attach_targets_other_than_ids_are_written_as_restate_service_and_idempotency_ids()
    {
        var workflow = EntryJson.Of(MessageType.AttachInvocationCommand, new AttachInvocationCommandMessage
        {
            WorkflowTarget = new WorkflowTarget { WorkflowName = "Signup", WorkflowKey = "alice" },
            ResultCompletionId = 3,
            Name = "wait",
        }.ToByteArray());
        var idempotent = EntryJson.Of(MessageType.GetInvocationOutputCommand, new GetInvocationOutputCommandMessage
        {
            IdempotentRequestTarget = new IdempotentRequestTarget { ServiceName = "Greeter", HandlerName = "greet", IdempotencyKey = "ik", Scope = "tenant" },
            ResultCompletionId = 4,
        }.ToByteArray());

        Assert.Equal(
            """{"Command":{"AttachInvocation":{"target":{"Workflow":{"service_name":"Signup","key":"alice","partition_key":PK,"scope":null}},"completion_id":3,"name":"wait"}}}"""
                .Replace("PK", PartitionMap.KeyOf("Signup", "alice").ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            workflow);
        Assert.Equal(
            """{"Command":{"GetInvocationOutput":{"target":{"IdempotentRequest":{"service_name":"Greeter","service_key":null,"service_handler":"greet","idempotency_key":"ik","scope":"tenant","partition_key":PK}},"completion_id":4,"name":""}}}"""
                .Replace("PK", PartitionMap.IdempotentKeyOf("Greeter", null, "greet", "ik").ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal),
            idempotent);
    }

    [Fact]
    public void Lazy_state_values_failure_metadata_and_wide_error_codes_follow_restate()
    {
        var value = EntryJson.Of(MessageType.GetLazyStateCompletion, new NotificationTemplate { CompletionId = 2, Value = new Value { Content = ByteString.CopyFromUtf8("ok") } }.ToByteArray());
        var failed = EntryJson.Of(MessageType.OutputCommand, new OutputCommandMessage
        {
            Failure = new Protocol.Messages.Failure { Code = 70_000, Message = "too wide", Metadata = { new FailureMetadata { Key = "k", Value = "v" } } },
        }.ToByteArray());

        Assert.Equal("""{"Notification":{"Completion":{"GetLazyState":{"completion_id":2,"result":{"Success":[111,107]}}}}}""", value);
        Assert.Equal("""{"Command":{"Output":{"result":{"Failure":{"code":500,"message":"too wide","metadata":[{"key":"k","value":"v"}]}},"name":""}}}""", failed);
    }

    [Fact]
    public void A_call_keeps_what_its_target_retains()
    {
        var schema = new OracleSchema(
            new ServiceInfo("Kept", ServiceType.Service, "dp", new Dictionary<string, HandlerInfo> { ["go"] = new("go", HandlerType.Shared) }, 1,
                IdempotencyRetention: TimeSpan.FromHours(2), JournalRetention: TimeSpan.FromMinutes(90)),
            new ServiceInfo("Forgetful", ServiceType.Service, "dp", new Dictionary<string, HandlerInfo> { ["go"] = new("go", HandlerType.Shared) }, 1,
                JournalRetention: TimeSpan.Zero));
        var called = new Dictionary<uint, string> { [1] = InvocationId.New().ToString() };

        string? Retention(string service, string? idempotencyKey)
        {
            var call = new CallCommandMessage { ServiceName = service, HandlerName = "go", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 };
            if (idempotencyKey is not null)
            {
                call.IdempotencyKey = idempotencyKey;
            }

            var request = JsonNode.Parse(EntryJson.Of(MessageType.CallCommand, call.ToByteArray(), called, schema)!)!["Command"]!["Call"]!["request"]!;
            return $"{request["completion_retention_duration"]!.ToJsonString()} {request["journal_retention_duration"]!.ToJsonString()}";
        }

        Assert.Equal("""{"secs":7200,"nanos":0} {"secs":5400,"nanos":0}""", Retention("Kept", "ik"));
        Assert.Equal("""{"secs":5400,"nanos":0} {"secs":5400,"nanos":0}""", Retention("Kept", null));
        Assert.Equal("""{"secs":0,"nanos":0} {"secs":0,"nanos":0}""", Retention("Forgetful", null));
        Assert.Equal("""{"secs":86400,"nanos":0} {"secs":0,"nanos":0}""", Retention("Forgetful", "ik"));
    }

    [Fact]
    public void Entries_that_do_not_decode_have_no_json()
    {
        var called = new Dictionary<uint, string> { [1] = InvocationId.New().ToString() };

        // Not a protocol message at all.
        Assert.Null(EntryJson.Of(MessageType.SleepCommand, [0xFF, 0xFF, 0xFF]));
        // A control message is no journal entry.
        Assert.Null(EntryJson.Of(MessageType.Suspension, []));
        // Restate's entries hold state keys as text.
        Assert.Null(EntryJson.Of(MessageType.SetStateCommand, new SetStateCommandMessage { Key = ByteString.CopyFrom(0xC3, 0x28) }.ToByteArray()));
        // Results that are missing or of a kind the entry cannot have.
        Assert.Null(EntryJson.Of(MessageType.OutputCommand, new OutputCommandMessage { Name = "x" }.ToByteArray()));
        Assert.Null(EntryJson.Of(MessageType.GetLazyStateCompletion, new NotificationTemplate { CompletionId = 1, Failure = new Protocol.Messages.Failure() }.ToByteArray()));
        Assert.Null(EntryJson.Of(MessageType.SignalNotification, new NotificationTemplate { SignalId = 4 }.ToByteArray()));
        // Ids that are not ids.
        Assert.Null(EntryJson.Of(MessageType.SendSignalCommand, new SendSignalCommandMessage { TargetInvocationId = "inv_nope", Idx = 1, Void = new Unit() }.ToByteArray()));
        Assert.Null(EntryJson.Of(MessageType.CompleteAwakeableCommand, new CompleteAwakeableCommandMessage { AwakeableId = "awk_1", Value = new Value() }.ToByteArray()));
        // A call whose invocation id is not in the journal.
        Assert.Null(EntryJson.Of(MessageType.CallCommand, new CallCommandMessage { ServiceName = "S", HandlerName = "h", InvocationIdNotificationIdx = 9 }.ToByteArray(), called));
        Assert.NotNull(EntryJson.Of(MessageType.CallCommand, new CallCommandMessage { ServiceName = "S", HandlerName = "h", InvocationIdNotificationIdx = 1 }.ToByteArray(), called));
    }

    [Fact]
    public void Any_bytes_of_any_entry_kind_give_valid_json_or_none_and_never_throw()
    {
        var called = new Dictionary<uint, string> { [0] = InvocationId.New().ToString(), [1] = InvocationId.New().ToString() };
        var kinds = Enum.GetValues<MessageType>();
        Gen.Select(Gen.Int[0, kinds.Length - 1], Gen.Byte.Array[0, 64]).Sample((kind, bytes) =>
        {
            if (EntryJson.Of(kinds[kind], bytes, called, new OracleSchema()) is { } json)
            {
                using var parsed = JsonDocument.Parse(json);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void A_journal_keel_wrote_has_json_for_every_entry()
    {
        var h = new PartitionHarness(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
        var caller = h.Submit("Greeter", "greet");
        h.Effect(caller, new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 1, ResultCompletionId = 2, Name = "count" });

        using var snapshot = new StoreIntrospection(h.Store.OpenSnapshot(), new FakeSchema());
        var journal = snapshot.Journal().Where(j => j.Id == caller.Id.ToString()).OrderBy(j => j.Index).ToList();

        Assert.Equal(["Command: Input", "Command: Call", "Notification: CallInvocationId"], journal.Select(j => j.EntryType));
        Assert.All(journal, row => Assert.NotNull(row.EntryJson));
        var call = JsonNode.Parse(journal[1].EntryJson!)!["Command"]!["Call"]!;
        Assert.Equal(journal[1].InvokedId, call["request"]!["invocation_id"]!.GetValue<string>());
        Assert.Equal("""{"VirtualObject":{"name":"Counter","key":"k","handler":"add","handler_ty":"Exclusive","scope":null}}""", call["request"]!["invocation_target"]!.ToJsonString());
        Assert.Equal(
            """{"Notification":{"Completion":{"CallInvocationId":{"completion_id":1,"invocation_id":"ID"}}}}""".Replace("ID", journal[1].InvokedId, StringComparison.Ordinal),
            journal[2].EntryJson);
    }

    [Fact]
    public void A_journal_entry_that_does_not_decode_keeps_its_row()
    {
        var id = InvocationId.New();
        byte[] broken = [.. Stored(MessageType.SleepCommand, []), 0xFF, 0xFF];
        byte[] brokenNotification = [.. Stored(MessageType.SleepCompletion, []), 0xFF];

        var rows = JournalRows.Of(id, [(0, broken), (1, brokenNotification)]).ToList();

        Assert.Equal(["Command: Sleep", "Notification: Sleep"], rows.Select(r => r.EntryType));
        Assert.All(rows, r => Assert.Null(r.EntryJson));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private sealed record Sample(string Id, string Target, uint Index, string EntryType, string Raw, string EntryJson);

    private static IReadOnlyList<Sample> LoadSamples()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Introspection", "Fixtures", "restate-1.7.12-journal.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(row => new Sample(
            row.GetProperty("id").GetString()!,
            row.GetProperty("target").GetString()!,
            row.GetProperty("index").GetUInt32(),
            row.GetProperty("entry_type").GetString()!,
            row.GetProperty("raw").GetString()!,
            row.GetProperty("entry_json").GetString()!))];
    }

    /// <summary>Keel's entry_json of every sample, each journal read whole (calls need their invocation-id notifications).</summary>
    private static Dictionary<(string Id, uint Index), string?> KeelJsonOf(IEnumerable<Sample> samples, ISchemaView? schema)
    {
        var result = new Dictionary<(string, uint), string?>();
        foreach (var journal in samples.GroupBy(s => s.Id))
        {
            var entries = journal.Select(s => (s.Index, Stored(TypeOf(s.EntryType), Convert.FromHexString(s.Raw)))).ToList();
            foreach (var row in JournalRows.Of(InvocationId.Parse(journal.Key), entries, schema))
            {
                result[(row.Id, row.Index)] = row.EntryJson;
            }
        }

        return result;
    }

    /// <summary>The message type of a display name (<c>Command: Sleep</c>, <c>Notification: Signal</c>).</summary>
    private static MessageType TypeOf(string entryType) =>
        Enum.GetValues<MessageType>().Single(t => (t.IsCommand() || t.IsNotification()) && JournalRows.EntryTypeName(t) == entryType);

    /// <summary>A journal value as Keel stores it: the 2-byte big-endian type, then the message.</summary>
    private static byte[] Stored(MessageType type, byte[] message)
    {
        var value = new byte[2 + message.Length];
        BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)type);
        message.CopyTo(value, 2);
        return value;
    }

    /// <summary>The services of tests/oracles/services/entries.mjs, as registered on restate-server when the samples were taken.</summary>
    private sealed class OracleSchema(params ServiceInfo[] extra) : ISchemaView
    {
        private readonly Dictionary<string, ServiceInfo> _services = new[]
        {
            Service("Entries", ServiceType.VirtualObject, ("commands", HandlerType.Exclusive), ("echo", HandlerType.Exclusive), ("targets", HandlerType.Exclusive),
                ("peek", HandlerType.Shared), ("sleep", HandlerType.Exclusive), ("scoped", HandlerType.Exclusive)),
            Service("LazyEntries", ServiceType.VirtualObject, ("commands", HandlerType.Exclusive)),
            Service("Plain", ServiceType.Service, ("echo", HandlerType.Shared), ("fail", HandlerType.Shared), ("token", HandlerType.Shared)),
            Service("EntriesFlow", ServiceType.Workflow, ("run", HandlerType.Workflow), ("resolve", HandlerType.Shared), ("reject", HandlerType.Shared)),
        }.Concat(extra).ToDictionary(s => s.Name);

        private static ServiceInfo Service(string name, ServiceType type, params (string Name, HandlerType Kind)[] handlers) =>
            new(name, type, "dp_oracle", handlers.ToDictionary(h => h.Name, h => new HandlerInfo(h.Name, h.Kind)), 1);

        public bool TryGetService(string service, out ServiceInfo info) => _services.TryGetValue(service, out info!);

        public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo)
        {
            handlerInfo = null!;
            return _services.TryGetValue(service, out serviceInfo!) && serviceInfo.Handlers.TryGetValue(handler, out handlerInfo!);
        }

        public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment)
        {
            deployment = null!;
            return false;
        }
    }
}
