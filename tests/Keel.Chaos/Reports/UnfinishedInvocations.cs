using Keel.TestSupport;

namespace Keel.Chaos.Reports;

/// <summary>
/// What the server says about the invocations not completed after the settling (<c>POST /query</c> on
/// <c>sys_invocation</c>): how many per status, and a few of them with their retry count and last failure. Printed
/// when a run ends with requests unsettled, so the report says whether Keel still holds them and why they do not end.
/// </summary>
public static class UnfinishedInvocations
{
    public static async Task<string> DescribeAsync(Uri adminUrl)
    {
        ArgumentNullException.ThrowIfNull(adminUrl);
        using var admin = new AdminClient(adminUrl);
        try
        {
            var counts = await admin.QueryAsync("SELECT status, count(*) AS n FROM sys_invocation WHERE status <> 'completed' GROUP BY status ORDER BY n DESC");
            var sample = await admin.QueryAsync(
                "SELECT id, target, status, idempotency_key, retry_count, last_failure, created_at, modified_at FROM sys_invocation WHERE status <> 'completed' LIMIT 12");
            var lines = new List<string> { $"unfinished invocations by status: {string.Join(", ", counts.Select(c => $"{c.GetProperty("status")} {c.GetProperty("n")}"))}" };
            lines.AddRange(sample.Select(r => "  " + r.GetRawText()));
            return string.Join(Environment.NewLine, lines);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
        {
            return $"unfinished invocations: the query failed ({e.Message})";
        }
    }
}
