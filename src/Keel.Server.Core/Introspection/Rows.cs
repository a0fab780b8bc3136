namespace Keel.Server.Introspection;

// The rows of the SQL introspection tables (POST /query), one record per table. Names and meanings
// follow Restate 1.7's tables so that its CLI and web UI read them; the SQL engine turns each
// property into a column (PascalCase → snake_case). Times are UTC.

/// <summary>
/// One invocation: the stored status (<c>sys_invocation_status</c>) and the attempt's live state
/// (<c>sys_invocation_state</c>) together; the engine derives the <c>sys_invocation</c> view from it.
/// </summary>
public sealed record InvocationRow
{
    public required string Id { get; init; }
    public required ulong PartitionKey { get; init; }

    /// <summary><c>Svc/handler</c> or <c>Obj/key/handler</c>.</summary>
    public required string Target { get; init; }
    public required string TargetServiceName { get; init; }
    public string? TargetServiceKey { get; init; }
    public required string TargetHandlerName { get; init; }

    /// <summary><c>service</c>, <c>virtual_object</c> or <c>workflow</c>.</summary>
    public required string TargetServiceTy { get; init; }
    public string? IdempotencyKey { get; init; }

    /// <summary><c>ingress</c> or <c>service</c>.</summary>
    public required string InvokedBy { get; init; }
    public string? InvokedByServiceName { get; init; }
    public string? InvokedById { get; init; }
    public string? InvokedByTarget { get; init; }

    /// <summary>The stored status: <c>inboxed</c>, <c>scheduled</c>, <c>invoked</c>, <c>suspended</c>, <c>paused</c> or <c>completed</c>.</summary>
    public required string Status { get; init; }

    /// <summary>An attempt is running right now (status <c>invoked</c>; false while backing off).</summary>
    public bool InFlight { get; init; }

    /// <summary>Failed attempts so far.</summary>
    public ulong RetryCount { get; init; }
    public string? PinnedDeploymentId { get; init; }
    public uint? PinnedServiceProtocolVersion { get; init; }
    public string? LastAttemptDeploymentId { get; init; }
    public string? LastAttemptServer { get; init; }
    public DateTime? LastStartAt { get; init; }
    public DateTime? NextRetryAt { get; init; }
    public string? LastFailure { get; init; }
    public ulong? LastFailureErrorCode { get; init; }
    public ulong? LastFailureRelatedEntryIndex { get; init; }
    public string? LastFailureRelatedEntryName { get; init; }
    public string? LastFailureRelatedEntryType { get; init; }
    public string? TraceId { get; init; }

    /// <summary><c>success</c> or <c>failure</c>, once completed.</summary>
    public string? CompletionResult { get; init; }
    public string? CompletionFailure { get; init; }
    public required DateTime CreatedAt { get; init; }
    public required DateTime ModifiedAt { get; init; }
    public DateTime? InboxedAt { get; init; }
    public DateTime? ScheduledAt { get; init; }
    public DateTime? ScheduledStartAt { get; init; }
    public DateTime? RunningAt { get; init; }
    public DateTime? CompletedAt { get; init; }
    public uint JournalSize { get; init; }
    public uint JournalCommandsSize { get; init; }

    /// <summary>How long the completed invocation is kept, in milliseconds (null while running).</summary>
    public ulong? CompletionRetentionMs { get; init; }
    public ulong? JournalRetentionMs { get; init; }
}

/// <summary>One journal entry (<c>sys_journal</c>). <see cref="Version"/> is 2: entries use the V5+ command/notification model.</summary>
public sealed record JournalRow
{
    public required string Id { get; init; }
    public required ulong PartitionKey { get; init; }
    public required uint Index { get; init; }

    /// <summary>Restate's display name of the entry's kind, e.g. <c>Command: Run</c> or <c>Notification: Completion</c>.</summary>
    public required string EntryType { get; init; }
    public string? Name { get; init; }
    public bool Completed { get; init; }
    public string? InvokedId { get; init; }
    public string? InvokedTarget { get; init; }
    public DateTime? SleepWakeupAt { get; init; }
    public string? PromiseName { get; init; }
    public uint Version { get; init; } = 2;
    public string? EntryJson { get; init; }
    public DateTime? AppendedAt { get; init; }
    public required byte[] Raw { get; init; }
}

/// <summary>One K/V state entry of a virtual object or workflow (<c>state</c>).</summary>
public sealed record StateRow(ulong PartitionKey, string ServiceName, string ServiceKey, string Key, byte[] Value);

/// <summary>An invocation waiting for its object key's lock (<c>sys_inbox</c>).</summary>
public sealed record InboxRow(ulong PartitionKey, string ServiceName, string ServiceKey, string Id, ulong SequenceNumber, DateTime CreatedAt);

/// <summary>A workflow's durable promise (<c>sys_promise</c>); value or failure once completed.</summary>
public sealed record PromiseRow(
    ulong PartitionKey, string ServiceName, string ServiceKey, string Key, bool Completed,
    byte[]? CompletionSuccessValue, ulong? CompletionFailureCode, string? CompletionFailureMessage);

/// <summary>An idempotency key and the invocation it names (<c>sys_idempotency</c>).</summary>
public sealed record IdempotencyRow(ulong PartitionKey, string ServiceName, string? ServiceKey, string ServiceHandler, string IdempotencyKey, string InvocationId);

/// <summary>
/// A consistent, read-only view of every partition's data at one moment (a storage snapshot), read
/// outside the partitions' loops. Each method enumerates lazily; dispose releases the snapshot.
/// </summary>
public interface IIntrospectionSnapshot : IDisposable
{
    IEnumerable<InvocationRow> Invocations();

    /// <summary>
    /// The invocations among <paramref name="ids"/> (text form; texts that are no invocation id match
    /// nothing), read by key rather than by a scan, in the order <see cref="Invocations()"/> gives them.
    /// </summary>
    IEnumerable<InvocationRow> Invocations(IReadOnlyCollection<string> ids);

    /// <summary>
    /// The invocations whose stored status (<see cref="InvocationRow.Status"/>) passes <paramref name="status"/>, in the
    /// order <see cref="Invocations()"/> gives them: the others are still read, but skipped before their row is built.
    /// </summary>
    IEnumerable<InvocationRow> InvocationsWithStatus(Func<string, bool> status);

    IEnumerable<JournalRow> Journal();

    /// <summary>The journals of <paramref name="ids"/> only, read by key prefix, in the order <see cref="Journal()"/> gives them.</summary>
    IEnumerable<JournalRow> Journal(IReadOnlyCollection<string> ids);

    IEnumerable<StateRow> State();

    /// <summary>The state of the given objects (service name, key) only, read by key prefix, in the order <see cref="State()"/> gives it.</summary>
    IEnumerable<StateRow> State(IReadOnlyCollection<(string Service, string Key)> objects);

    IEnumerable<InboxRow> Inbox();

    /// <summary>The inboxes of the given objects only, read by key prefix, in the order <see cref="Inbox()"/> gives them.</summary>
    IEnumerable<InboxRow> Inbox(IReadOnlyCollection<(string Service, string Key)> objects);

    IEnumerable<PromiseRow> Promises();

    /// <summary>The promises of the given workflows only, read by key prefix, in the order <see cref="Promises()"/> gives them.</summary>
    IEnumerable<PromiseRow> Promises(IReadOnlyCollection<(string Service, string Key)> objects);

    IEnumerable<IdempotencyRow> Idempotency();
}
