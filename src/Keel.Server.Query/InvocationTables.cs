using System.Globalization;
using System.Text;
using Keel.Server.Introspection;
using static Keel.Server.Query.Columns;

namespace Keel.Server.Query;

/// <summary>
/// The invocation tables, as in Restate: <c>sys_invocation_status</c> (what storage holds, with the raw
/// status), <c>sys_invocation_state</c> (the current attempt: in flight, retries, last failure) and the
/// view <c>sys_invocation</c> that joins them and derives the status the CLI shows.
/// </summary>
internal static class InvocationTables
{
    public const string StatusTable = "sys_invocation_status";
    public const string StateTable = "sys_invocation_state";
    public const string View = "sys_invocation";

    public static readonly TableDefinition<InvocationRow> Status = new(
        StatusTable,
        include: null,
        UInt64<InvocationRow>("partition_key", r => r.PartitionKey),
        Text<InvocationRow>("id", r => r.Id),
        Text<InvocationRow>("status", r => r.Status),
        Text<InvocationRow>("completion_result", r => r.CompletionResult),
        Text<InvocationRow>("completion_failure", r => r.CompletionFailure),
        Text<InvocationRow>("target", r => r.Target),
        Text<InvocationRow>("target_service_name", r => r.TargetServiceName),
        Text<InvocationRow>("target_service_key", r => r.TargetServiceKey),
        Text<InvocationRow>("target_handler_name", r => r.TargetHandlerName),
        Text<InvocationRow>("target_service_ty", r => r.TargetServiceTy),
        NullText<InvocationRow>("scope"),
        Text<InvocationRow>("idempotency_key", r => r.IdempotencyKey),
        Text<InvocationRow>("invoked_by", r => r.InvokedBy),
        Text<InvocationRow>("invoked_by_id", r => r.InvokedById),
        Text<InvocationRow>("invoked_by_service_name", r => r.InvokedByServiceName),
        Text<InvocationRow>("invoked_by_target", r => r.InvokedByTarget),
        Text<InvocationRow>("pinned_deployment_id", r => r.PinnedDeploymentId),
        UInt32<InvocationRow>("pinned_service_protocol_version", r => r.PinnedServiceProtocolVersion),
        Text<InvocationRow>("trace_id", r => r.TraceId),
        UInt32<InvocationRow>("journal_size", r => r.JournalSize),
        UInt32<InvocationRow>("journal_commands_size", r => r.JournalCommandsSize),
        Timestamp<InvocationRow>("created_at", r => r.CreatedAt),
        Timestamp<InvocationRow>("modified_at", r => r.ModifiedAt),
        Timestamp<InvocationRow>("inboxed_at", r => r.InboxedAt),
        Timestamp<InvocationRow>("scheduled_at", r => r.ScheduledAt),
        Timestamp<InvocationRow>("scheduled_start_at", r => r.ScheduledStartAt),
        Timestamp<InvocationRow>("running_at", r => r.RunningAt),
        Timestamp<InvocationRow>("completed_at", r => r.CompletedAt),
        Interval<InvocationRow>("completion_retention", r => Milliseconds(r.CompletionRetentionMs)),
        Interval<InvocationRow>("journal_retention", r => Milliseconds(r.JournalRetentionMs)));

    /// <summary>
    /// An attempt's state exists for invocations that have been handed to the invoker and are not done:
    /// stored status <c>invoked</c>, <c>suspended</c> or <c>paused</c>. The others have none (nulls in the view).
    /// </summary>
    public static readonly TableDefinition<InvocationRow> State = new(
        StateTable,
        include: r => r.Status is "invoked" or "suspended" or "paused",
        UInt64<InvocationRow>("partition_key", r => r.PartitionKey),
        Text<InvocationRow>("id", r => r.Id),
        Boolean<InvocationRow>("in_flight", r => r.InFlight),
        UInt64<InvocationRow>("retry_count", r => r.RetryCount),
        Timestamp<InvocationRow>("last_start_at", r => r.LastStartAt),
        Text<InvocationRow>("last_attempt_deployment_id", r => r.LastAttemptDeploymentId),
        Text<InvocationRow>("last_attempt_server", r => r.LastAttemptServer),
        Timestamp<InvocationRow>("next_retry_at", r => r.NextRetryAt),
        Text<InvocationRow>("last_failure", r => r.LastFailure),
        Text<InvocationRow>("last_failure_error_code", r => r.LastFailureErrorCode?.ToString(CultureInfo.InvariantCulture)),
        UInt64<InvocationRow>("last_failure_related_entry_index", r => r.LastFailureRelatedEntryIndex),
        Text<InvocationRow>("last_failure_related_entry_name", r => r.LastFailureRelatedEntryName),
        Text<InvocationRow>("last_failure_related_entry_type", r => r.LastFailureRelatedEntryType));

    /// <summary>Both tables come from one pass over the snapshot's invocations.</summary>
    public static readonly RowSource<InvocationRow> Source = new(s => s.Snapshot.Invocations(), Status, State)
    {
        // By key for given ids; else, with a condition on the status, without building the rows of
        // other statuses (the unfinished ones among a million retained completed ones).
        Narrowed = (s, f) => f.Ids is { } ids ? s.Snapshot.Invocations(ids)
            : f.Equal.ContainsKey("status") || f.NotEqual.ContainsKey("status") ? s.Snapshot.InvocationsWithStatus(status => f.Allows("status", status))
            : null,
        Filterable = new Dictionary<string, Func<InvocationRow, string?>>
        {
            [LoadFilter.Id] = r => r.Id,
            ["status"] = r => r.Status,
            ["target"] = r => r.Target,
            ["target_service_name"] = r => r.TargetServiceName,
            ["target_service_key"] = r => r.TargetServiceKey,
            ["target_handler_name"] = r => r.TargetHandlerName,
        },
        Orderable = new Dictionary<string, Func<InvocationRow, long>>
        {
            // As DuckDB holds them: whole milliseconds (see Columns.Timestamp).
            ["created_at"] = r => Columns.ToUtcMilliseconds(r.CreatedAt)!.Value.Ticks,
            ["modified_at"] = r => Columns.ToUtcMilliseconds(r.ModifiedAt)!.Value.Ticks,
        },
    };

    /// <summary>
    /// The view: every status column but the raw status and the completion (they come last, as in
    /// Restate), then the attempt's columns, then the derived status. Like Restate's, it has no
    /// partition key and no <c>in_flight</c>.
    /// </summary>
    public static readonly string CreateView = BuildView();

    private static string BuildView()
    {
        string[] last = ["status", "completion_result", "completion_failure"];
        var sql = new StringBuilder("CREATE VIEW ").Append(View).Append(" AS SELECT ");
        foreach (var (name, _) in Status.ColumnTypes.Where(c => c.Name != "partition_key" && !last.Contains(c.Name)))
        {
            sql.Append("ss.").Append(TableDefinition<InvocationRow>.Quote(name)).Append(", ");
        }

        foreach (var (name, _) in State.ColumnTypes.Where(c => c.Name is not ("partition_key" or "id" or "in_flight")))
        {
            sql.Append("sis.").Append(TableDefinition<InvocationRow>.Quote(name)).Append(", ");
        }

        return sql.Append("""
            CASE
                WHEN ss.status = 'inboxed' THEN 'pending'
                WHEN ss.status = 'scheduled' THEN 'scheduled'
                WHEN ss.status = 'completed' THEN 'completed'
                WHEN ss.status = 'suspended' THEN 'suspended'
                WHEN ss.status = 'paused' THEN 'paused'
                WHEN sis.in_flight THEN 'running'
                WHEN ss.status = 'invoked' AND sis.retry_count > 0 THEN 'backing-off'
                ELSE 'ready'
            END AS status, ss.completion_result, ss.completion_failure
            FROM sys_invocation_state sis RIGHT JOIN sys_invocation_status ss ON ss.id = sis.id
            """).ToString();
    }

    private static TimeSpan? Milliseconds(ulong? ms) => ms switch
    {
        null => null,
        > MaxMilliseconds => TimeSpan.MaxValue,
        { } value => TimeSpan.FromMilliseconds((long)value),
    };

    private const ulong MaxMilliseconds = (ulong)(long.MaxValue / TimeSpan.TicksPerMillisecond);
}
