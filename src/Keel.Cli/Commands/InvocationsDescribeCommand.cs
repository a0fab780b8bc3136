using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Invocations;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary>
/// <c>keel invocations describe &lt;id&gt;</c>: status, target, caller, retries, last failure, the journal as a timeline,
/// the callers up to the ingress and what it waits on down the chain (a cycle when the chain comes back: a deadlock).
/// </summary>
internal static class InvocationsDescribeCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Invocation id (inv_…)" };
        var command = new Command("describe", "Show an invocation: status, journal timeline, callers and what it waits on") { id };
        command.Aliases.Add("get");
        CommandAction.Set(command, async c =>
        {
            var invocationId = InvocationIds.Require(c.Get(id)!);
            var row = await FindAsync(c, invocationId) ?? throw new CliException($"no invocation {invocationId} on {c.Admin.BaseUrl}");
            var journal = await c.Admin.QueryAsync(
                "SELECT index, entry_type, name, completed, invoked_id, invoked_target, sleep_wakeup_at, promise_name, appended_at, entry_json " +
                $"FROM sys_journal WHERE id = {Sql.Literal(invocationId)} ORDER BY index", c.Cancellation);
            var callers = await CallersAsync(c, row);
            var (chain, cycle) = row.Completed ? ([], false) : (await WaitGraph.LoadAsync(c.Admin, c.Cancellation)).ChainFrom(invocationId);

            if (c.Json)
            {
                var json = row.ToJson();
                json["idempotency_key"] = row.IdempotencyKey;
                json["last_failure_error_code"] = row.LastFailureCode;
                json["completion_result"] = row.CompletionResult;
                json["completion_failure"] = row.CompletionFailure;
                json["journal"] = new JsonArray([.. journal.Select(e => (JsonNode)new JsonObject
                {
                    ["index"] = e.Long("index"),
                    ["type"] = e.Str("entry_type"),
                    ["name"] = e.Str("name"),
                    ["completed"] = e.Bool("completed"),
                    ["detail"] = Detail(e),
                    ["appended_at"] = e.Str("appended_at"),
                })]);
                json["callers"] = new JsonArray([.. callers.Select(r => (JsonNode)new JsonObject { ["id"] = r.Id, ["target"] = r.Target, ["status"] = r.Status })]);
                json["waits_on"] = new JsonArray([.. chain.Select(w => (JsonNode)new JsonObject { ["reason"] = w.Reason, ["id"] = w.Id, ["target"] = w.Target, ["status"] = w.Status })]);
                json["cycle"] = cycle;
                JsonOut.Write(json);
                return;
            }

            Tables.KeyValues(c.Out,
            [
                ("ID", row.Id), ("Target", row.Target), ("Status", row.Status),
                ("Created", $"{InvocationRow.Iso(row.CreatedAt)} ({InvocationsListCommand.Ago(row.CreatedAt)})"),
                ("Modified", InvocationRow.Iso(row.ModifiedAt)),
                ("Invoked by", row.InvokedByTarget is null ? "ingress" : $"{row.InvokedByTarget} ({row.InvokedById})"),
                ("Idempotency key", row.IdempotencyKey), ("Retries", row.RetryCount?.ToString(CultureInfo.InvariantCulture)),
                ("Last failure", row.LastFailureSummary() is { } failure ? $"{failure}{(row.LastFailureCode is null ? string.Empty : $" [{row.LastFailureCode}]")}" : null),
                ("Next", NextStep(row)),
                ("Result", row.CompletionFailure ?? row.CompletionResult),
            ]);

            if (row.LastFailureDetail() is { } stack)
            {
                // The stack as the SDK sent it, unwrapped: it is what points at the line to fix.
                Tables.Heading(c.Out, "Last failure");
                foreach (var line in stack.Split('\n'))
                {
                    c.Out.WriteLine("  " + line.TrimEnd('\r'));
                }
            }

            Tables.Heading(c.Out, "Journal");
            Tables.Print(c.Out, ["#", "ENTRY", "DETAIL", "APPENDED"], journal.Select(e => (IReadOnlyList<string?>)
                [e.Long("index")?.ToString(CultureInfo.InvariantCulture), e.Str("entry_type"), Detail(e), e.Str("appended_at")]));

            Tables.Heading(c.Out, "Call chain");
            foreach (var caller in Enumerable.Reverse(callers))
            {
                c.Out.WriteLine($"  {caller.Target} ({caller.Id}, {caller.Status})");
                c.Out.WriteLine("    │ called");
            }

            c.Out.WriteLine($"▶ {row.Target} ({row.Id}, {row.Status})");
            foreach (var wait in chain)
            {
                c.Out.WriteLine(wait.Reason == "call" ? "    │ waits on its call to" : "    │ waits on the lock held by");
                c.Out.WriteLine($"  {wait.Target} ({wait.Id}, {wait.Status})");
            }

            if (cycle)
            {
                c.Out.WriteLine($"⟲ cycle: the chain comes back to {chain[^1].Id}; none of these can finish (a deadlock): cancel or kill one of them");
            }
            else if (chain.Count == 0 && !row.Completed)
            {
                c.Out.WriteLine("(waits on no call and no lock)");
            }
        });
        return command;
    }

    /// <summary>What happens to a failing invocation next, and what the operator can do about it (docs/failures.md).</summary>
    private static string? NextStep(InvocationRow row) => row.LastFailure is null ? null : row.Status switch
    {
        "backing-off" or "running" or "ready" => "retried after a backoff until its retry policy's attempts are used up, then paused; to stop it: keel invocations cancel|kill " + row.Id,
        "paused" => $"paused: fix the handler and register the fixed deployment, then keel invocations resume {row.Id}; or cancel|kill it",
        _ => null,
    };

    internal static async Task<InvocationRow?> FindAsync(CliContext c, string id) =>
        (await c.Admin.QueryAsync($"SELECT {InvocationRow.Columns} FROM sys_invocation WHERE id = {Sql.Literal(id)}", c.Cancellation))
            .Select(InvocationRow.From).FirstOrDefault();

    /// <summary>The callers, nearest first, up to one invoked from outside (or gone); stops if the chain repeats.</summary>
    private static async Task<List<InvocationRow>> CallersAsync(CliContext c, InvocationRow row)
    {
        var callers = new List<InvocationRow>();
        var seen = new HashSet<string> { row.Id };
        var current = row;
        while (current.InvokedById is { } parentId && seen.Add(parentId) && callers.Count < 50)
        {
            if (await FindAsync(c, parentId) is not { } parent)
            {
                break;
            }

            callers.Add(parent);
            current = parent;
        }

        return callers;
    }

    /// <summary>What a journal entry is about, in a few words: the call's target, the sleep's end, the promise or state key.</summary>
    private static string Detail(JsonElement e)
    {
        var parts = new List<string>();
        if (JournalCalls.CalleeOf(e) is (var callee, { } target))
        {
            parts.Add($"→ {target}" + (callee is null ? string.Empty : $" ({callee})"));
        }

        if (e.Str("sleep_wakeup_at") is { } wake)
        {
            parts.Add($"until {wake}");
        }

        if (e.Str("promise_name") is { } promise)
        {
            parts.Add($"promise {promise}");
        }

        if (e.Str("name") is { Length: > 0 } name)
        {
            parts.Add($"\"{name}\"");
        }

        if (e.Bool("completed") is false)
        {
            parts.Add("(not completed)");
        }

        return string.Join(' ', parts);
    }
}
