using System.Text;
using Keel.Protocol.Ids;
using Keel.Server.Introspection;
using Keel.Server.Query;

namespace Keel.Server.Tests.Query;

/// <summary>
/// A small server state: an invocation in every status (and one of a one-letter service, for the
/// CLI's one-slash target filter), a journal, K/V state with JSON and binary values, an inbox entry,
/// workflow promises, an idempotency key, three services on two deployments.
/// </summary>
internal sealed class TestData
{
    public static readonly DateTime T0 = new(2026, 9, 22, 10, 11, 12, 345, DateTimeKind.Utc);

    public const string DeploymentA = "dp_11111111111111111111111";
    public const string DeploymentB = "dp_12222222222222222222222";
    public const string ZombieDeployment = "dp_19999999999999999999999";

    public static readonly string Pending = Id("pending");
    public static readonly string Scheduled = Id("scheduled");
    public static readonly string Running = Id("running");
    public static readonly string BackingOff = Id("backing-off");
    public static readonly string Ready = Id("ready");
    public static readonly string Suspended = Id("suspended");
    public static readonly string Paused = Id("paused");
    public static readonly string Succeeded = Id("succeeded");
    public static readonly string Failed = Id("failed");
    public static readonly string OneLetter = Id("one-letter");

    public IReadOnlyList<InvocationRow> Invocations { get; init; } =
    [
        Invocation(Pending, 1, "Counter", "alice", "add", "virtual_object", "inboxed") with { InboxedAt = T0.AddSeconds(1) },
        Invocation(Scheduled, 2, "Greeter", null, "greet", "service", "scheduled") with
        {
            CreatedAt = new DateTime(2026, 9, 22, 10, 11, 14, DateTimeKind.Utc),
            ScheduledStartAt = T0.AddHours(1),
        },
        Invocation(Running, 3, "Counter", "bob", "add", "virtual_object", "invoked") with
        {
            InFlight = true, PinnedDeploymentId = DeploymentA, LastAttemptDeploymentId = DeploymentA,
            LastAttemptServer = "restate-sdk-dotnet/0.1", LastStartAt = T0.AddSeconds(3.5), RunningAt = T0.AddSeconds(3.5),
            JournalSize = 4, JournalCommandsSize = 3, TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        },
        Invocation(BackingOff, 4, "Greeter", null, "greet", "service", "invoked") with
        {
            RetryCount = 3, PinnedDeploymentId = ZombieDeployment, LastAttemptDeploymentId = ZombieDeployment,
            LastStartAt = T0.AddSeconds(4), NextRetryAt = T0.AddSeconds(64), LastFailure = "[500] boom",
            LastFailureErrorCode = 500, LastFailureRelatedEntryIndex = 2, LastFailureRelatedEntryName = "charge",
            LastFailureRelatedEntryType = "Run",
        },
        Invocation(Ready, 5, "Greeter", null, "greet", "service", "invoked"),
        Invocation(Suspended, 6, "Signup", "user-1", "run", "workflow", "suspended") with { PinnedDeploymentId = DeploymentB, RetryCount = 0 },
        Invocation(Paused, 7, "Greeter", null, "greet", "service", "paused") with { RetryCount = 10, LastFailure = "[500] still failing" },
        Invocation(Succeeded, 8, "Greeter", null, "greet", "service", "completed") with
        {
            IdempotencyKey = "idem-1", CompletionResult = "success", CompletedAt = T0.AddSeconds(9), CompletionRetentionMs = 86_400_000,
            PinnedDeploymentId = DeploymentA,
        },
        Invocation(Failed, 9, "Counter", "alice", "add", "virtual_object", "completed") with
        {
            CompletionResult = "failure", CompletionFailure = "[400] bad input", CompletedAt = T0.AddSeconds(10), PinnedDeploymentId = DeploymentA,
        },
        Invocation(OneLetter, 10, "G", null, "h", "service", "invoked"),
    ];

    public IReadOnlyList<JournalRow> Journal { get; init; } =
    [
        Entry(0, "Command: Input") with { EntryJson = """{"ty":"Command","name":"Input"}""" },
        Entry(1, "Command: Run") with { Name = "charge" },
        Entry(2, "Notification: Run") with { Completed = true },
        Entry(3, "Command: Sleep") with { SleepWakeupAt = T0.AddMinutes(5) },
    ];

    public IReadOnlyList<StateRow> State { get; init; } =
    [
        new(1, "Counter", "alice", "count", Encoding.UTF8.GetBytes("""{"a":1}""")),
        new(1, "Counter", "alice", "blob", [0x00, 0xff, 0x10]),
        new(3, "Counter", "bob", "count", Encoding.UTF8.GetBytes("5")),
    ];

    public IReadOnlyList<InboxRow> Inbox { get; init; } = [new(1, "Counter", "alice", Pending, 0, T0.AddSeconds(1))];

    public IReadOnlyList<PromiseRow> Promises { get; init; } =
    [
        new(6, "Signup", "user-1", "approval", true, Encoding.UTF8.GetBytes("\"yes\""), null, null),
        new(6, "Signup", "user-1", "rejection", false, null, null, null),
        new(6, "Signup", "user-1", "audit", true, null, 409, "conflict"),
    ];

    public IReadOnlyList<IdempotencyRow> Idempotency { get; init; } = [new(8, "Greeter", null, "greet", "idem-1", Succeeded)];

    public IReadOnlyList<ServiceRow> Services { get; init; } =
    [
        new("Counter", 1, true, "virtual_object", DeploymentA),
        new("Greeter", 2, true, "service", DeploymentA),
        new("Signup", 1, false, "workflow", DeploymentB),
        new("G", 1, true, "service", DeploymentB),
    ];

    public IReadOnlyList<DeploymentRow> Deployments { get; init; } =
    [
        new(DeploymentA, "http", "http://localhost:9080/", T0.AddDays(-1), 5, 6, ["Counter", "Greeter"]),
        new(DeploymentB, "http", "http://localhost:9081/", T0.AddDays(-2), 5, 7, ["G", "Signup"]),
    ];

    /// <summary>The status the <c>sys_invocation</c> view must derive for each invocation.</summary>
    public static readonly IReadOnlyDictionary<string, string> DerivedStatus = new Dictionary<string, string>
    {
        [Pending] = "pending",
        [Scheduled] = "scheduled",
        [Running] = "running",
        [BackingOff] = "backing-off",
        [Ready] = "ready",
        [Suspended] = "suspended",
        [Paused] = "paused",
        [Succeeded] = "completed",
        [Failed] = "completed",
        [OneLetter] = "ready",
    };

    private static string Id(string name) => InvocationId.Deterministic(42, name).ToString();

    private static InvocationRow Invocation(string id, int second, string service, string? key, string handler, string ty, string status) => new()
    {
        Id = id,
        PartitionKey = 42,
        Target = key is null ? $"{service}/{handler}" : $"{service}/{key}/{handler}",
        TargetServiceName = service,
        TargetServiceKey = key,
        TargetHandlerName = handler,
        TargetServiceTy = ty,
        InvokedBy = "ingress",
        Status = status,
        CreatedAt = T0.AddSeconds(second),
        ModifiedAt = T0.AddSeconds(second).AddMilliseconds(500),
    };

    private static JournalRow Entry(uint index, string type) => new()
    {
        Id = Running,
        PartitionKey = 42,
        Index = index,
        EntryType = type,
        AppendedAt = T0.AddSeconds(3 + index),
        Raw = [(byte)index, 0xab],
    };
}
