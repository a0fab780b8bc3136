using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Keel.Server.Introspection;
using static Keel.Server.Query.Columns;

namespace Keel.Server.Query;

/// <summary>
/// Every table and view <c>POST /query</c> offers, with Restate's names, column names and (DuckDB
/// equivalents of) its column types. A query gets all of them created, so <c>information_schema</c>
/// lists them all, but only the ones its SQL names are filled.
/// </summary>
internal static class IntrospectionCatalog
{
    public const string JournalTable = "sys_journal";
    public const string StateTable = "state";
    public const string InboxTable = "sys_inbox";
    public const string PromiseTable = "sys_promise";
    public const string IdempotencyTable = "sys_idempotency";

    /// <summary>At most this many objects (service names × keys a filter allows) are read by key prefix; more are scanned for.</summary>
    private const int MaxObjectLookups = 64;

    public static readonly RowSource<JournalRow> Journal = new(s => s.Snapshot.Journal(), new TableDefinition<JournalRow>(
        JournalTable,
        include: null,
        UInt64<JournalRow>("partition_key", r => r.PartitionKey),
        Text<JournalRow>("id", r => r.Id),
        UInt32<JournalRow>("index", r => r.Index),
        Text<JournalRow>("entry_type", r => r.EntryType),
        Text<JournalRow>("name", r => r.Name),
        Boolean<JournalRow>("completed", r => r.Completed),
        Text<JournalRow>("invoked_id", r => r.InvokedId),
        Text<JournalRow>("invoked_target", r => r.InvokedTarget),
        Timestamp<JournalRow>("sleep_wakeup_at", r => r.SleepWakeupAt),
        Text<JournalRow>("promise_name", r => r.PromiseName),
        Blob<JournalRow>("raw", r => r.Raw),
        UInt64<JournalRow>("raw_length", r => (ulong)r.Raw.Length),
        UInt32<JournalRow>("version", r => r.Version),
        Text<JournalRow>("entry_json", r => r.EntryJson),
        Timestamp<JournalRow>("appended_at", r => r.AppendedAt)))
    {
        Narrowed = (s, f) => f.Ids is { } ids ? s.Snapshot.Journal(ids) : null,
        Filterable = new Dictionary<string, Func<JournalRow, string?>> { [LoadFilter.Id] = r => r.Id },
    };

    public static readonly RowSource<StateRow> State = new(s => s.Snapshot.State(), new TableDefinition<StateRow>(
        StateTable,
        include: null,
        UInt64<StateRow>("partition_key", r => r.PartitionKey),
        NullText<StateRow>("scope"),
        Text<StateRow>("service_name", r => r.ServiceName),
        Text<StateRow>("service_key", r => r.ServiceKey),
        Text<StateRow>("key", r => r.Key),
        UInt64<StateRow>("key_length", r => (ulong)Encoding.UTF8.GetByteCount(r.Key)),
        Text<StateRow>("value_utf8", r => Utf8OrNull(r.Value)),
        Blob<StateRow>("value", r => r.Value),
        UInt64<StateRow>("value_length", r => (ulong)r.Value.Length)))
    {
        Narrowed = (s, f) => Objects(f) is { } objects ? s.Snapshot.State(objects) : null,
        Filterable = new Dictionary<string, Func<StateRow, string?>>
        {
            ["service_name"] = r => r.ServiceName, ["service_key"] = r => r.ServiceKey, ["key"] = r => r.Key,
        },
    };

    public static readonly RowSource<InboxRow> Inbox = new(s => s.Snapshot.Inbox(), new TableDefinition<InboxRow>(
        InboxTable,
        include: null,
        UInt64<InboxRow>("partition_key", r => r.PartitionKey),
        Text<InboxRow>("service_name", r => r.ServiceName),
        Text<InboxRow>("service_key", r => r.ServiceKey),
        Text<InboxRow>("id", r => r.Id),
        UInt64<InboxRow>("sequence_number", r => r.SequenceNumber),
        Timestamp<InboxRow>("created_at", r => r.CreatedAt)))
    {
        Narrowed = (s, f) => Objects(f) is { } objects ? s.Snapshot.Inbox(objects) : null,
        Filterable = new Dictionary<string, Func<InboxRow, string?>>
        {
            ["service_name"] = r => r.ServiceName, ["service_key"] = r => r.ServiceKey, [LoadFilter.Id] = r => r.Id,
        },
    };

    public static readonly RowSource<PromiseRow> Promise = new(s => s.Snapshot.Promises(), new TableDefinition<PromiseRow>(
        PromiseTable,
        include: null,
        UInt64<PromiseRow>("partition_key", r => r.PartitionKey),
        NullText<PromiseRow>("scope"),
        Text<PromiseRow>("service_name", r => r.ServiceName),
        Text<PromiseRow>("service_key", r => r.ServiceKey),
        Text<PromiseRow>("key", r => r.Key),
        Boolean<PromiseRow>("completed", r => r.Completed),
        Blob<PromiseRow>("completion_success_value", r => r.CompletionSuccessValue),
        Text<PromiseRow>("completion_success_value_utf8", r => r.CompletionSuccessValue is { } value ? Utf8OrNull(value) : null),
        Text<PromiseRow>("completion_failure", r => Failure(r.CompletionFailureCode, r.CompletionFailureMessage))))
    {
        Narrowed = (s, f) => Objects(f) is { } objects ? s.Snapshot.Promises(objects) : null,
        Filterable = new Dictionary<string, Func<PromiseRow, string?>>
        {
            ["service_name"] = r => r.ServiceName, ["service_key"] = r => r.ServiceKey, ["key"] = r => r.Key,
        },
    };

    public static readonly RowSource<IdempotencyRow> Idempotency = new(s => s.Snapshot.Idempotency(), new TableDefinition<IdempotencyRow>(
        IdempotencyTable,
        include: null,
        UInt64<IdempotencyRow>("partition_key", r => r.PartitionKey),
        Text<IdempotencyRow>("service_name", r => r.ServiceName),
        Text<IdempotencyRow>("service_key", r => r.ServiceKey),
        Text<IdempotencyRow>("service_handler", r => r.ServiceHandler),
        Text<IdempotencyRow>("idempotency_key", r => r.IdempotencyKey),
        Text<IdempotencyRow>("invocation_id", r => r.InvocationId)))
    {
        // Its keys start with a hash of all four key parts, so there is no prefix to read by: a scan, filtered.
        Filterable = new Dictionary<string, Func<IdempotencyRow, string?>>
        {
            ["service_name"] = r => r.ServiceName, ["service_key"] = r => r.ServiceKey, ["service_handler"] = r => r.ServiceHandler,
            ["idempotency_key"] = r => r.IdempotencyKey, ["invocation_id"] = r => r.InvocationId,
        },
    };

    public static readonly RowSource<ServiceRow> Service = new(s => s.Services(), new TableDefinition<ServiceRow>(
        "sys_service",
        include: null,
        Text<ServiceRow>("name", r => r.Name),
        UInt64<ServiceRow>("revision", r => r.Revision),
        Boolean<ServiceRow>("public", r => r.Public),
        Text<ServiceRow>("ty", r => r.Ty),
        Text<ServiceRow>("deployment_id", r => r.DeploymentId)));

    public static readonly RowSource<DeploymentRow> Deployment = new(s => s.Deployments(), new TableDefinition<DeploymentRow>(
        "sys_deployment",
        include: null,
        Text<DeploymentRow>("id", r => r.Id),
        Text<DeploymentRow>("ty", r => r.Ty),
        Text<DeploymentRow>("endpoint", r => r.Endpoint),
        Timestamp<DeploymentRow>("created_at", r => r.CreatedAt),
        UInt32<DeploymentRow>("min_service_protocol_version", r => r.MinServiceProtocolVersion),
        UInt32<DeploymentRow>("max_service_protocol_version", r => r.MaxServiceProtocolVersion),
        TextList<DeploymentRow>("services", r => [.. r.Services])));

    /// <summary>Keel's own (not Restate's): the invocations of the deadlocks standing now, from the server's wait-for graph.</summary>
    public static readonly RowSource<DeadlockRow> Deadlock = new(s => s.Deadlocks(), new TableDefinition<DeadlockRow>(
        "keel_deadlocks",
        include: null,
        UInt32<DeadlockRow>("cycle", r => r.Cycle),
        Timestamp<DeadlockRow>("detected_at", r => r.DetectedAt),
        UInt32<DeadlockRow>("position", r => r.Position),
        Text<DeadlockRow>("id", r => r.Id),
        Text<DeadlockRow>("target", r => r.Target),
        Text<DeadlockRow>("target_service_name", r => r.ServiceName),
        Text<DeadlockRow>("target_service_key", r => r.ServiceKey),
        Text<DeadlockRow>("target_handler_name", r => r.HandlerName),
        Text<DeadlockRow>("waits_on", r => r.WaitsOn)));

    /// <summary>All sources, in creation order.</summary>
    public static readonly IReadOnlyList<IRowSource> Sources =
        [InvocationTables.Source, Journal, State, Inbox, Promise, Idempotency, Service, Deployment, Deadlock];

    /// <summary>The DDL of every table and view, as one script.</summary>
    public static readonly string CreateScript = string.Join(";\n",
        Sources.SelectMany(s => s.Tables).Select(t => t.CreateStatement).Append(InvocationTables.CreateView));

    /// <summary>
    /// The tables to fill for a query naming <paramref name="names"/> (lower-case identifiers): the tables
    /// named, and both invocation tables when the <c>sys_invocation</c> view is named.
    /// </summary>
    public static IReadOnlySet<string> TablesToFill(IReadOnlySet<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in Sources.SelectMany(s => s.Tables))
        {
            if (names.Contains(table.Name))
            {
                wanted.Add(table.Name);
            }
        }

        if (names.Contains(InvocationTables.View))
        {
            wanted.Add(InvocationTables.StatusTable);
            wanted.Add(InvocationTables.StateTable);
        }

        return wanted;
    }

    /// <summary>
    /// The objects (service name, key) a filter keeps rows of, when it names both and not too many: their
    /// rows are then read by key prefix; else null (a scan).
    /// </summary>
    private static List<(string Service, string Key)>? Objects(LoadFilter filter) =>
        filter.Equal.GetValueOrDefault("service_name") is { } services && filter.Equal.GetValueOrDefault("service_key") is { } keys
        && (long)services.Count * keys.Count <= MaxObjectLookups
            ? [.. services.SelectMany(service => keys.Select(key => (service, key)))]
            : null;

    private static string? Utf8OrNull(byte[] value) => Utf8.IsValid(value) ? Encoding.UTF8.GetString(value) : null;

    private static string? Failure(ulong? code, string? message) => (code, message) switch
    {
        (null, null) => null,
        (null, { } m) => m,
        ({ } c, var m) => string.Create(CultureInfo.InvariantCulture, $"[{c}] {m}"),
    };
}
