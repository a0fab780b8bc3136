using System.Globalization;

namespace Keel.Server.Tests.Query;

/// <summary>
/// The SQL texts the Restate CLI 1.7 sends to <c>POST /query</c>, character for character (its
/// whitespace included), with the same substitutions the CLI makes.
/// </summary>
internal static class CliQueries
{
    public const string DefaultOrder = "ORDER BY inv.created_at DESC, inv.id";
    public const string OldestFirst = "ORDER BY inv.created_at ASC, inv.id";
    public const string JournalV12Columns = "sj.version, sj.entry_json, sj.appended_at";
    public const string JournalV12Fallback = "CAST(1 as INT UNSIGNED) AS version, CAST(NULL as STRING) AS entry_json, CAST(NULL as TIMESTAMP) AS appended_at";

    /// <summary><c>invocations list</c>: the clauses AND-ed into its filter (none gives an empty filter).</summary>
    public static string ListFilter(params string[] clauses) => clauses.Length == 0 ? "" : "WHERE " + string.Join(" AND ", clauses);

    /// <summary><c>invocations list</c>: the details query's filter, the list filter and the ids found.</summary>
    public static string IdsFilter(string filter, params string[] ids) =>
        filter.Length == 0 ? $"WHERE inv.id in ('{string.Join("','", ids)}')" : $"{filter} AND inv.id in ('{string.Join("','", ids)}')";

    /// <summary>The three target-filter shapes of cancel/kill/purge/pause/resume/restart (1.7.12's balanced one-slash form).</summary>
    public static string TargetFilter(string query, bool isInvocationId)
    {
        var q = query.Trim();
        if (isInvocationId)
        {
            return $"id = '{q}'";
        }

        return Math.Max(0, q.IndexOf('/', StringComparison.Ordinal)) switch
        {
            0 => $"target LIKE '{q}/%'",
            1 => $"((target = '{q}' AND target_service_ty = 'service') OR (target LIKE '{q}/%' AND target_service_ty != 'service'))",
            _ => $"target LIKE '{q}'",
        };
    }

    /// <summary>The one-slash filter as v1.7.6 builds it, with a parenthesis too many.</summary>
    public static string UnbalancedOneSlashFilter(string q) =>
        $"(target = '{q}' AND target_service_ty = 'service') OR (target LIKE '{q}/%' AND target_service_ty != 'service'))";

    /// <summary>A list of names as the CLI quotes them for IN: <c>('a','b')</c>.</summary>
    public static string InList(params string[] names) => "(" + string.Join(",", names.Select(n => $"'{n}'")) + ")";

    /// <summary>cancel, kill, purge, pause, resume, restart: the invocations a target filter picks (filter includes the status clause and LIMIT).</summary>
    public static string Simple(string filter) =>
        "SELECT id, target FROM sys_invocation_status WHERE " + filter;

    /// <summary>services describe, deployments list --extra: active invocations pinned to a deployment (Arrow, one Int64).</summary>
    public static string DeploymentActiveCount(string deploymentId) =>
        "SELECT COUNT(1) AS inv_count\n            FROM sys_invocation_status\n            WHERE pinned_deployment_id = '" + deploymentId + "' AND status != 'completed'";

    /// <summary>deployments remove: active invocations of a deployment per handler.</summary>
    public static string DeploymentActiveByHandler(string deploymentId) =>
        "SELECT\n            target_service_name as service,\n            target_handler_name as handler,\n            COUNT(1) AS inv_count\n            FROM sys_invocation_status\n            WHERE pinned_deployment_id = '" + deploymentId + "' AND status != 'completed'\n            GROUP BY pinned_deployment_id, target_service_name, target_handler_name";

    /// <summary>services status: inboxed invocations per handler.</summary>
    public static string ServiceStatusPending(string queryFilter) =>
        "SELECT\n                target_service_name,\n                target_handler_name,\n                'pending' as status,\n                COUNT(1) as num_invocations,\n                MIN(created_at) as oldest_at,\n                FIRST_VALUE(id ORDER BY created_at ASC) as oldest_invocation\n             FROM sys_invocation_status\n             WHERE status == 'inboxed' AND target_service_name IN " + queryFilter + "\n             GROUP BY target_service_name, target_handler_name";

    /// <summary>services status: invocations per handler and status.</summary>
    public static string ServiceStatusActive(string queryFilter) =>
        "\n            SELECT\n                target_service_name,\n                target_handler_name,\n                status,\n                COUNT(1) as num_invocations,\n                MIN(created_at) as oldest_at,\n                FIRST_VALUE(id ORDER BY created_at ASC) as oldest_invocation\n            FROM sys_invocation\n            WHERE target_service_name IN " + queryFilter + "\n            GROUP BY target_service_name, target_handler_name, status\n            ORDER BY target_handler_name";

    /// <summary>services status: inbox length per object key.</summary>
    public static string LockedKeysInbox(string queryFilter) =>
        "SELECT\n                service_name,\n                service_key,\n                COUNT(1) as num_pending\n             FROM sys_inbox\n             WHERE service_name IN " + queryFilter + "\n             GROUP BY service_name, service_key\n             ORDER BY num_pending DESC";

    /// <summary>services status: the invocation holding each key.</summary>
    public static string LockedKeysActive(string queryFilter) =>
        "\n            SELECT\n                target_service_name as service_name,\n                target_service_key as service_key,\n                status as invocation_status,\n                first_value(id) as invocation_holding_lock,\n                first_value(target_handler_name) as invocation_method_holding_lock,\n                first_value(created_at) as invocation_created_at,\n                first_value(modified_at) as modified_at,\n                first_value(pinned_deployment_id) as pinned_deployment_id,\n                first_value(last_attempt_deployment_id) as last_attempt_deployment_id,\n                first_value(last_failure) as last_failure_message,\n                first_value(next_retry_at) as next_retry_at,\n                first_value(last_start_at) as last_start_at,\n                0 as num_pending,\n                sum(retry_count) as num_retries\n            FROM sys_invocation\n            WHERE status != 'pending' AND target_service_name IN " + queryFilter + "\n            GROUP BY target_service_name, target_service_key, status";

    /// <summary>invocations list: how many invocations match, among the first 50000 (Arrow, one Int64).</summary>
    public static string CountLowerBound(string filter) =>
        "SELECT COUNT(1) FROM (SELECT\n            *\n        FROM sys_invocation inv\n        LIMIT 50000\n        )\n        " + filter;

    /// <summary>invocations list/describe against a server older than 1.5 (or of unknown version).</summary>
    public static string FindPre15(string selectIdempotencyKey, string filter, string order, int limit) =>
        "WITH invocations as (SELECT\n            inv.id,\n            inv.target,\n            inv.target_service_ty,\n            inv.target_service_name,\n            " + selectIdempotencyKey + ",\n            inv.status,\n            inv.created_at,\n            inv.modified_at as state_modified_at,\n            inv.pinned_deployment_id,\n            inv.retry_count as num_retries,\n            inv.last_failure as last_failure_message,\n            inv.last_failure_related_entry_index as last_failure_entry_index,\n            inv.last_failure_related_entry_name as last_failure_entry_name,\n            inv.last_failure_related_entry_type as last_failure_entry_ty,\n            inv.last_attempt_deployment_id,\n            inv.last_attempt_server,\n            inv.next_retry_at,\n            inv.last_start_at,\n            inv.invoked_by_id,\n            inv.invoked_by_target,\n            inv.trace_id,\n            inv.completion_result,\n            inv.completion_failure\n        FROM sys_invocation inv\n        " + filter + "\n        " + order + "\n        LIMIT " + limit.ToString(CultureInfo.InvariantCulture) + ")\n\n        SELECT\n            inv.*,\n            dp.id IS NOT NULL as pinned_deployment_exists\n        FROM sys_deployment dp\n        RIGHT JOIN invocations inv ON dp.id = inv.pinned_deployment_id\n        " + order;

    /// <summary>invocations list and describe: the ids of one page.</summary>
    public static string IdPage(string filter, string order, int limit) =>
        "SELECT\n            id\n        FROM sys_invocation inv\n        " + filter + "\n        " + order + "\n        LIMIT " + limit.ToString(CultureInfo.InvariantCulture);

    /// <summary>invocations list and describe: the rows of the ids found.</summary>
    public static string Details(string idsFilter, string order) =>
        "SELECT\n            inv.id,\n            inv.target,\n            inv.target_service_ty,\n            inv.idempotency_key,\n            inv.status,\n            inv.created_at,\n            inv.modified_at as state_modified_at,\n            inv.pinned_deployment_id,\n            inv.retry_count as num_retries,\n            inv.last_failure as last_failure_message,\n            inv.last_failure_related_entry_index as last_failure_entry_index,\n            inv.last_failure_related_entry_name as last_failure_entry_name,\n            inv.last_failure_related_entry_type as last_failure_entry_ty,\n            inv.last_attempt_deployment_id,\n            inv.last_attempt_server,\n            inv.next_retry_at,\n            inv.last_start_at,\n            inv.invoked_by_id,\n            inv.invoked_by_target,\n            inv.trace_id,\n            inv.completion_result,\n            inv.completion_failure,\n            dp.id IS NOT NULL as pinned_deployment_exists\n        FROM sys_invocation inv\n        LEFT JOIN sys_deployment dp ON dp.id = inv.pinned_deployment_id\n        " + idsFilter + "\n        " + order;

    /// <summary>invocations describe: the journal.</summary>
    public static string Journal(string selectPromiseColumn, string selectRestate12Columns, string invocationId) =>
        "SELECT\n            sj.index,\n            sj.entry_type,\n            sj.completed,\n            sj.invoked_id,\n            sj.invoked_target,\n            sj.sleep_wakeup_at,\n            sj.name,\n            " + selectPromiseColumn + ",\n            " + selectRestate12Columns + "\n        FROM sys_journal sj\n        WHERE\n            sj.id = '" + invocationId + "'\n        ORDER BY index DESC\n        LIMIT 100";

    /// <summary>state of a service or object key.</summary>
    public static string StateKeys(string filter) =>
        "SELECT service_name, service_key, key, value FROM state WHERE " + filter;

    /// <summary>invocations describe: whether a table has columns (Arrow, one Int64).</summary>
    public static string ColumnsProbe(string table, string columns) =>
        "SELECT COUNT(*) FROM information_schema.columns\n            WHERE\n                table_name = '" + table + "'\n                AND column_name IN (" + columns + ")";

    /// <summary>state get / edit.</summary>
    public static string StateGet(string service, string key) =>
        "select key, value from state where service_name = '" + service + "' and service_key = '" + key + "' ;";
}
