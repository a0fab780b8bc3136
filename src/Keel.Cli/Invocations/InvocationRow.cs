using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;

namespace Keel.Cli.Invocations;

/// <summary>One row of <c>sys_invocation</c>, with the columns the CLI shows (Restate 1.7 and Keel have them all).</summary>
internal sealed record InvocationRow(
    string Id,
    string Target,
    string Service,
    string? Key,
    string Handler,
    string Status,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? ModifiedAt,
    DateTimeOffset? InboxedAt,
    string? InvokedById,
    string? InvokedByTarget,
    long? RetryCount,
    string? LastFailure,
    string? LastFailureCode,
    string? IdempotencyKey,
    string? CompletionResult,
    string? CompletionFailure)
{
    public const string Columns =
        "id, target, target_service_name, target_service_key, target_handler_name, status, created_at, modified_at, inboxed_at, " +
        "invoked_by_id, invoked_by_target, retry_count, last_failure, last_failure_error_code, idempotency_key, completion_result, completion_failure";

    public bool Completed => Status == "completed";

    public static InvocationRow From(JsonElement r) => new(
        r.Str("id") ?? string.Empty,
        r.Str("target") ?? string.Empty,
        r.Str("target_service_name") ?? string.Empty,
        r.Str("target_service_key"),
        r.Str("target_handler_name") ?? string.Empty,
        r.Str("status") ?? string.Empty,
        r.Time("created_at"),
        r.Time("modified_at"),
        r.Time("inboxed_at"),
        r.Str("invoked_by_id"),
        r.Str("invoked_by_target"),
        r.Long("retry_count"),
        r.Str("last_failure"),
        r.Str("last_failure_error_code"),
        r.Str("idempotency_key"),
        r.Str("completion_result"),
        r.Str("completion_failure"));

    /// <summary>The fields every JSON output of an invocation has (docs/cli.md).</summary>
    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["target"] = Target,
        ["service"] = Service,
        ["key"] = Key,
        ["handler"] = Handler,
        ["status"] = Status,
        ["created_at"] = Iso(CreatedAt),
        ["modified_at"] = Iso(ModifiedAt),
        ["invoked_by_id"] = InvokedById,
        ["invoked_by_target"] = InvokedByTarget,
        ["retry_count"] = RetryCount,
        ["last_failure"] = LastFailure,
    };

    /// <summary>The last failure's first line (its message, without the stack), cut to <paramref name="width"/> characters; null when none.</summary>
    public string? LastFailureSummary(int width = int.MaxValue)
    {
        if (string.IsNullOrWhiteSpace(LastFailure))
        {
            return null;
        }

        var line = LastFailure.Split('\n', 2)[0].TrimEnd();
        return line.Length <= width ? line : line[..(width - 1)] + "…";
    }

    /// <summary>The lines after the last failure's first: the SDK's stack trace, when the server keeps it.</summary>
    public string? LastFailureDetail() =>
        LastFailure?.Split('\n', 2) is [_, var rest] && !string.IsNullOrWhiteSpace(rest) ? rest.TrimEnd() : null;

    public static string? Iso(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
}
