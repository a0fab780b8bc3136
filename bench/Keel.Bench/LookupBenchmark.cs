using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Keel.Bench;

/// <summary>
/// How long <c>POST /query</c> takes to show one invocation when the server holds many retained ones:
/// seeds N completed (idempotent, so retained) invocations, then times the queries the web console
/// sends for one invocation (its row, its journal; and the whole refresh of the invocation page, whose
/// other two queries are about every unfinished invocation) and for the invocation list, Keel and
/// restate-server side by side (restate at a scale it can be seeded to in reasonable time).
/// </summary>
internal static class LookupBenchmark
{
    /// <summary>The console's columns of an invocation tree row (src/Keel.Server.Admin/Console/wwwroot/js/invocation.js).</summary>
    private const string TreeColumns = "id, target, target_service_name, target_service_key, target_handler_name, target_service_ty, status, invoked_by, invoked_by_id, invoked_by_target";

    public static async Task RunAsync(BenchArgs args)
    {
        var keelCount = args.Int("completed", 1_000_000);
        var restateCount = args.Int("restate-completed", 100_000);
        var queries = args.Int("queries", 200);
        var heavy = args.Int("heavy-queries", 20);
        var concurrency = args.Int("seed-concurrency", 64);
        var keep = args.String("keep");
        Console.WriteLine($"Lookup: Keel with {keelCount} and restate with {restateCount} retained completed invocations; {queries} one-invocation queries, " +
            $"{heavy} page refreshes and list queries each, one at a time.");
        Console.WriteLine();
        Console.WriteLine("| server | invocations held | query | runs | p50 (ms) | p99 (ms) | max (ms) | errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var kind in args.Servers())
        {
            var count = kind == ServerKind.Keel ? keelCount : restateCount;
            var baseDir = keep is null ? null : Path.Combine(keep, kind.ToString().ToLowerInvariant());
            await MeasureAsync(kind, count, queries, heavy, concurrency, baseDir);
        }
    }

    private static async Task MeasureAsync(ServerKind kind, int count, int queries, int heavy, int concurrency, string? baseDir)
    {
        await using var server = await BenchServer.StartAsync(kind, baseDir: baseDir);
        using var admin = new HttpClient { BaseAddress = server.AdminUrl, Timeout = TimeSpan.FromMinutes(5) };
        var marker = baseDir is null ? null : Path.Combine(baseDir, $"seeded-{count}");
        var held = count;
        if (marker is null || !File.Exists(marker))
        {
            using var endpoint = await BenchEndpoint.StartAsync("ts", server.AdminUrl);
            using var http = LoadRun.Client(server.IngressUrl);
            var (errors, elapsed) = await FixedCount.RunAsync(http, concurrency, count,
                i => LoadRun.Post("/TsNoop/echo", "\"x\"", idempotencyKey: $"seed-{i}"), $"{server.Name} seed");
            held = count - errors;
            Console.Error.WriteLine($"  {server.Name}: seeded {count} through the ingress in {elapsed.TotalSeconds:F0} s ({count / elapsed.TotalSeconds:F0}/s, {errors} errors)");
            if (marker is not null)
            {
                await File.WriteAllTextAsync(marker, held.ToString(CultureInfo.InvariantCulture));
            }
        }
        else
        {
            held = int.Parse(await File.ReadAllTextAsync(marker), CultureInfo.InvariantCulture);
            Console.Error.WriteLine($"  {server.Name}: reusing the {held} invocations seeded in {baseDir}");
        }

        // Ids to look up: any retained ones do (a lookup by key costs the same wherever the key is).
        var ids = (await QueryAsync(admin, $"SELECT id FROM sys_invocation_status LIMIT {queries}")).Rows
            .Select(r => r.GetProperty("id").GetString()!).ToList();
        foreach (var id in ids.Take(10))
        {
            await QueryAsync(admin, ById(id)); // warm-up
        }

        void Report(string query, List<double> times, int errors)
        {
            times.Sort();
            double[] sorted = [.. times];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {server.Name} | {held} | {query} | {times.Count} | {LoadRun.Percentile(sorted, 0.5):F1} | {LoadRun.Percentile(sorted, 0.99):F1} | {(sorted.Length == 0 ? 0 : sorted[^1]):F1} | {errors} |"));
        }

        await TimeEachAsync("console: the invocation's row (`sys_invocation WHERE id =`)", ids, async id => (await QueryAsync(admin, ById(id))).Ok, Report);
        await TimeEachAsync("console: its journal (`sys_journal WHERE id = … ORDER BY index`)", ids, async id => (await QueryAsync(admin, JournalOf(id))).Ok, Report);
        var few = ids.Take(heavy).ToList();
        await TimeEachAsync("console: unfinished invocations (`status <> 'completed' LIMIT 10000`)", few,
            async _ => (await QueryAsync(admin, $"SELECT {TreeColumns} FROM sys_invocation WHERE status <> 'completed' LIMIT 10000")).Ok, Report);
        await TimeEachAsync("console: calls in unfinished journals (`id IN (SELECT …)`)", few, async _ => (await QueryAsync(admin, WaitingCalls)).Ok, Report);
        await TimeEachAsync("console: whole invocation page refresh (the 4 above at once)", few, async id =>
        {
            var all = await Task.WhenAll(
                QueryAsync(admin, ById(id)),
                QueryAsync(admin, JournalOf(id)),
                QueryAsync(admin, $"SELECT {TreeColumns} FROM sys_invocation WHERE status <> 'completed' LIMIT 10000"),
                QueryAsync(admin, WaitingCalls));
            return all.All(r => r.Ok);
        }, Report);
        await TimeEachAsync("console: invocation list, unfinished (`ORDER BY created_at DESC LIMIT 500`)", few, async _ => (await QueryAsync(admin,
            "SELECT id, target, status, created_at, modified_at, retry_count, invoked_by, invoked_by_id, invoked_by_target, last_failure, completion_failure "
            + "FROM sys_invocation WHERE status <> 'completed' ORDER BY created_at DESC LIMIT 500")).Ok, Report);
        await TimeEachAsync("console: invocation list, all (`ORDER BY created_at DESC LIMIT 500`)", few.Take(Math.Max(1, heavy / 4)).ToList(), async _ => (await QueryAsync(admin,
            "SELECT id, target, status, created_at, modified_at, retry_count, invoked_by, invoked_by_id, invoked_by_target, last_failure, completion_failure "
            + "FROM sys_invocation ORDER BY created_at DESC LIMIT 500")).Ok, Report);
        Console.Error.WriteLine($"  {server.Name}: RSS after the queries {ProcessMemory.RssMiB(server.Pid):F0} MiB, peak {ProcessMemory.PeakRssMiB(server.Pid):F0} MiB");
    }

    private static string ById(string id) => $"SELECT * FROM sys_invocation WHERE id = '{id}'";

    private static string JournalOf(string id) =>
        "SELECT \"index\", entry_type, name, completed, invoked_id, invoked_target, sleep_wakeup_at, promise_name, appended_at, entry_json "
        + $"FROM sys_journal WHERE id = '{id}' ORDER BY \"index\"";

    private const string WaitingCalls = "SELECT id, \"index\", entry_type, completed, invoked_id, invoked_target, entry_json FROM sys_journal "
        + "WHERE (entry_type = 'Command: Call' OR entry_type LIKE 'Notification:%') AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed') LIMIT 50000";

    /// <summary>Runs <paramref name="query"/> once per item, one at a time, and reports the times (ms) and the failures.</summary>
    private static async Task TimeEachAsync(string name, List<string> items, Func<string, Task<bool>> query, Action<string, List<double>, int> report)
    {
        var times = new List<double>();
        var errors = 0;
        foreach (var item in items)
        {
            var clock = Stopwatch.StartNew();
            var ok = await query(item);
            times.Add(clock.Elapsed.TotalMilliseconds);
            errors += ok ? 0 : 1;
        }

        report(name, times, errors);
    }

    /// <summary>One <c>POST /query</c>, JSON rows; a failure gives no rows and is logged once per message.</summary>
    private static async Task<(List<JsonElement> Rows, bool Ok)> QueryAsync(HttpClient admin, string sql)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = JsonContent.Create(new { query = sql }) };
        request.Headers.Accept.ParseAdd("application/json");
        try
        {
            using var response = await admin.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                Console.Error.WriteLine($"  /query {(int)response.StatusCode}: {body[..Math.Min(200, body.Length)]} ({sql[..Math.Min(80, sql.Length)]})");
                return ([], false);
            }

            using var json = JsonDocument.Parse(body);
            return ([.. json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.Clone())], true);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
        {
            Console.Error.WriteLine($"  /query failed: {e.Message}");
            return ([], false);
        }
    }
}
