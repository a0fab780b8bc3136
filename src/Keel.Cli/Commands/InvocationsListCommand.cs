using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Invocations;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel invocations list</c>: invocations by target and status, or the stuck ones with what they wait on.</summary>
internal static class InvocationsListCommand
{
    public static Command Create()
    {
        var service = new Option<string>("--service") { Description = "Only this service" };
        var handler = new Option<string>("--handler") { Description = "Only this handler" };
        var key = new Option<string>("--key") { Description = "Only this object or workflow key" };
        var status = new Option<string>("--status") { Description = "Only these statuses, comma-separated (pending, scheduled, ready, running, backing-off, suspended, paused, completed)" };
        var all = new Option<bool>("--all") { Description = "Include completed invocations" };
        var stuck = new Option<bool>("--stuck") { Description = "Only unfinished invocations waiting on a call or a key's lock for longer than --stuck-for" };
        var stuckFor = new Option<string>("--stuck-for") { Description = "How long counts as stuck (default 10s)", DefaultValueFactory = _ => "10s" };
        var deadlocked = new Option<bool>("--deadlocked") { Description = "Only the deadlocks the server found (Keel's GET /deadlocks): each cycle's invocations" };
        var limit = new Option<int>("--limit") { Description = "At most this many (default 100)", DefaultValueFactory = _ => 100 };
        var command = new Command("list", "List invocations (unfinished ones unless --all or --status)") { service, handler, key, status, all, stuck, stuckFor, deadlocked, limit };
        command.Aliases.Add("ls");
        CommandAction.Set(command, async c =>
        {
            var n = c.Get(limit);
            if (n <= 0)
            {
                throw CliException.Usage("--limit must be a positive number");
            }

            if (c.Get(deadlocked))
            {
                await ListDeadlockedAsync(c, c.Get(service), c.Get(handler), c.Get(key), n);
                return;
            }

            var filters = new List<string>();
            if (c.Get(service) is { } s)
            {
                filters.Add($"target_service_name = {Sql.Literal(s)}");
            }

            if (c.Get(handler) is { } h)
            {
                filters.Add($"target_handler_name = {Sql.Literal(h)}");
            }

            if (c.Get(key) is { } k)
            {
                filters.Add($"target_service_key = {Sql.Literal(k)}");
            }

            if (c.Get(status) is { } st)
            {
                filters.Add($"status IN {Sql.List(st.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
            }
            else if (!c.Get(all))
            {
                filters.Add("status <> 'completed'");
            }

            if (c.Get(stuck))
            {
                await ListStuckAsync(c, filters, Durations.Parse(c.Get(stuckFor)!, "--stuck-for"), n);
                return;
            }

            var where = filters.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", filters);
            // Failing ones first (retrying, or paused with their last failure): they are what an operator
            // looks for, and the limit must not cut them off behind healthy ones. Then newest first.
            var rows = (await c.Admin.QueryAsync(
                    $"SELECT {InvocationRow.Columns} FROM sys_invocation{where} ORDER BY CASE WHEN last_failure IS NULL THEN 1 ELSE 0 END, created_at DESC LIMIT {n}",
                    c.Cancellation))
                .Select(InvocationRow.From).ToList();
            if (c.Json)
            {
                JsonOut.Write(new JsonArray([.. rows.Select(r => (JsonNode)r.ToJson())]));
                return;
            }

            Tables.Print(c.Out, ["ID", "TARGET", "STATUS", "CREATED", "INVOKED BY", "LAST FAILURE"], rows.Select(r => (IReadOnlyList<string?>)
                [r.Id, r.Target, r.Status, Ago(r.CreatedAt), r.InvokedByTarget ?? "ingress", r.LastFailureSummary(60) ?? "-"]));
        });
        return command;
    }

    /// <summary>
    /// The stuck ones: the filters pick candidates (their ids), the wait graph (over all unfinished invocations, since the
    /// one waited on may not match the filters) says what each waits on and since when.
    /// </summary>
    private static async Task ListStuckAsync(CliContext c, List<string> filters, TimeSpan stuckFor, int limit)
    {
        var where = filters.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", filters);
        var candidates = (await c.Admin.QueryAsync($"SELECT id FROM sys_invocation{where}", c.Cancellation)).Select(r => r.Str("id")).ToHashSet();
        var graph = await WaitGraph.LoadAsync(c.Admin, c.Cancellation);
        var now = DateTimeOffset.UtcNow;
        var stuck = graph.Unfinished.Values
            .Where(r => candidates.Contains(r.Id))
            .Select(r => (Row: r, Waits: graph.WaitsOf(r.Id)))
            .Where(x => x.Waits.Count > 0 && now - (x.Waits[0].Since ?? now) >= stuckFor)
            .OrderBy(x => x.Row.CreatedAt)
            .Take(limit)
            .ToList();
        if (c.Json)
        {
            JsonOut.Write(new JsonArray([.. stuck.Select(x =>
            {
                var json = x.Row.ToJson();
                json["waiting_on"] = new JsonArray([.. x.Waits.Select(w => (JsonNode)new JsonObject
                {
                    ["reason"] = w.Reason, ["id"] = w.Id, ["target"] = w.Target, ["status"] = w.Status, ["since"] = InvocationRow.Iso(w.Since),
                })]);
                return (JsonNode)json;
            })]));
            return;
        }

        Tables.Print(c.Out, ["ID", "TARGET", "STATUS", "WAITING ON", "FOR"], stuck.Select(x => (IReadOnlyList<string?>)
        [
            x.Row.Id, x.Row.Target, x.Row.Status,
            string.Join("\n", x.Waits.Select(w => w.Reason == "call" ? $"call to {w.Target} ({w.Id})" : $"lock of {KeyOf(w.Target)} held by {w.Id}")),
            Ago(x.Waits[0].Since, suffix: string.Empty),
        ]));
    }

    /// <summary>
    /// The cycles the server detected and still stand (Keel's <c>GET /deadlocks</c>; restate-server has none), those with
    /// an invocation matching the filters, oldest first; each invocation with what it waits on: the next one's call
    /// result or key lock (the last waits on the first).
    /// </summary>
    private static async Task ListDeadlockedAsync(CliContext c, string? service, string? handler, string? key, int limit)
    {
        var response = await c.Admin.SendAsync(HttpMethod.Get, "/deadlocks", ct: c.Cancellation);
        if (response.Status == 404)
        {
            throw new CliException("this server does not report deadlocks (GET /deadlocks is Keel's own); --stuck finds cycles from SQL");
        }

        if (!response.IsSuccess || response.Body is not { } body)
        {
            throw new CliException(response.Message);
        }

        bool Matches(string target)
        {
            var parts = target.Split('/');
            var (svc, hdl) = (parts[0], parts[^1]);
            var k = parts.Length > 2 ? string.Join('/', parts[1..^1]) : null;
            return (service is null || svc == service) && (handler is null || hdl == handler) && (key is null || k == key);
        }

        var cycles = body.Array("deadlocks")
            .Where(d => d.Array("invocations").Any(i => Matches(i.Str("target") ?? string.Empty)))
            .Take(limit)
            .ToList();
        if (c.Json)
        {
            JsonOut.Write(new JsonArray([.. cycles.Select(d => JsonNode.Parse(d.GetRawText()))]));
            return;
        }

        Tables.Print(c.Out, ["CYCLE", "ID", "TARGET", "WAITS ON", "DETECTED"], cycles.SelectMany((d, n) =>
        {
            var members = d.Array("invocations").ToList();
            return members.Select((m, i) => (IReadOnlyList<string?>)
            [
                (n + 1).ToString(CultureInfo.InvariantCulture), m.Str("id"), m.Str("target"),
                $"{(m.Str("waits_on") == "lock" ? "lock held by" : "call to")} {members[(i + 1) % members.Count].Str("id")}",
                i == 0 ? Ago(d.Time("detected_at")) : string.Empty,
            ]);
        }));
    }

    private static string KeyOf(string target) => target.LastIndexOf('/') is > 0 and var i ? target[..i] : target;

    /// <summary>"12s ago", "3m ago", "2h ago", "4d ago": the age of a timestamp for people.</summary>
    internal static string Ago(DateTimeOffset? t, string suffix = " ago")
    {
        if (t is not { } time)
        {
            return "-";
        }

        var age = DateTimeOffset.UtcNow - time;
        var text = age.TotalSeconds < 1 ? "<1s"
            : age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
        return text.ToString(CultureInfo.InvariantCulture) + suffix;
    }
}
