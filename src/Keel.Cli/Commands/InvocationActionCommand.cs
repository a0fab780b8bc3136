using System.CommandLine;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Invocations;
using Keel.Cli.Output;
using Spectre.Console;

namespace Keel.Cli.Commands;

/// <summary>
/// <c>keel invocations cancel|kill|purge|pause|resume &lt;id…&gt; | --target Svc[/key[/handler]]</c>: one
/// <c>PATCH /invocations/{id}/{action}</c> per invocation, each result reported (200/202 done; 404, 409 … with the
/// server's message).
/// </summary>
internal static class InvocationActionCommand
{
    private sealed record Outcome(string Id, int Status, bool Ok, string Message);

    public static Command Create(string action, string description)
    {
        var ids = new Argument<string[]>("id") { Description = "Invocation ids (inv_…)", Arity = ArgumentArity.ZeroOrMore };
        var target = new Option<string>("--target") { Description = "Every matching invocation instead: Service, Service/key or Service/key/handler" };
        var command = new Command(action, description) { ids, target };
        CommandAction.Set(command, async c =>
        {
            var given = c.Get(ids) ?? [];
            var selector = c.Get(target);
            if ((given.Length == 0) == (selector is null))
            {
                throw CliException.Usage($"invocations {action}: give invocation ids or --target Svc[/key[/handler]], not both or neither");
            }

            var selected = selector is null ? given.Select(InvocationIds.Require).Distinct().ToList() : await SelectAsync(c, action, selector);
            if (selected.Count == 0)
            {
                if (c.Json)
                {
                    JsonOut.Write(new JsonArray());
                }
                else
                {
                    c.Out.WriteLine($"No invocation of {selector} to {action}.");
                }

                return ExitCodes.Ok;
            }

            c.Confirm(selected.Count == 1 ? $"{action} {selected[0]}" : $"{action} {selected.Count} invocations" + (selector is null ? string.Empty : $" of {selector}"));
            var outcomes = c.Interactive && !c.Yes && selected.Count > 1
                ? await WithProgressAsync(c, action, selected)
                : await RunAllAsync(c, action, selected, () => { });

            Report(c, action, outcomes);
            var failed = outcomes.Where(o => !o.Ok).ToList();
            if (failed.Count == 0)
            {
                return ExitCodes.Ok;
            }

            Console.Error.WriteLine(failed.Count == 1 && outcomes.Count == 1
                ? $"error: {action} {failed[0].Id}: {failed[0].Message} (HTTP {failed[0].Status})"
                : $"error: {failed.Count} of {outcomes.Count} failed; first: {failed[0].Id}: {failed[0].Message} (HTTP {failed[0].Status})");
            return ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>The invocations of a target that the action applies to: completed ones for purge, unfinished ones otherwise.</summary>
    private static async Task<List<string>> SelectAsync(CliContext c, string action, string selector)
    {
        var parts = selector.Split('/');
        if (parts.Length > 3 || parts.Any(p => p.Length == 0))
        {
            throw CliException.Usage($"--target: '{selector}' is not Service, Service/key or Service/key/handler");
        }

        var filters = new List<string> { $"target_service_name = {Sql.Literal(parts[0])}" };
        if (parts.Length == 3)
        {
            filters.Add($"target_service_key = {Sql.Literal(parts[1])}");
            filters.Add($"target_handler_name = {Sql.Literal(parts[2])}");
        }
        else if (parts.Length == 2)
        {
            filters.Add($"target_service_key = {Sql.Literal(parts[1])}");
        }

        filters.Add(action switch
        {
            "purge" => "status = 'completed'",
            "resume" => "status = 'paused'",
            "pause" => "status NOT IN ('completed', 'pending', 'scheduled', 'paused')",
            _ => "status <> 'completed'",
        });
        // Cancel and kill end the queued invocations of a key before its running one: ending the holder
        // first frees the key's lock, and the next queued invocation would start (and maybe finish)
        // before its own cancel arrives.
        var order = action is "cancel" or "kill"
            ? "CASE WHEN status IN ('pending', 'scheduled') THEN 0 ELSE 1 END, created_at"
            : "created_at";
        var rows = await c.Admin.QueryAsync($"SELECT id FROM sys_invocation WHERE {string.Join(" AND ", filters)} ORDER BY {order}", c.Cancellation);
        return [.. rows.Select(r => r.Str("id")).OfType<string>()];
    }

    private static async Task<List<Outcome>> RunAllAsync(CliContext c, string action, List<string> ids, Action advance)
    {
        var outcomes = new List<Outcome>();
        foreach (var id in ids)
        {
            var response = await c.Admin.SendAsync(HttpMethod.Patch, $"/invocations/{Uri.EscapeDataString(id)}/{action}", null, c.Cancellation);
            outcomes.Add(new Outcome(id, response.Status, response.IsSuccess, response.IsSuccess ? Done(action, response.Status) : response.Message));
            advance();
        }

        return outcomes;
    }

    private static async Task<List<Outcome>> WithProgressAsync(CliContext c, string action, List<string> ids)
    {
        List<Outcome> outcomes = [];
        await c.Out.Progress().StartAsync(async progress =>
        {
            var task = progress.AddTask($"{Capitalized(action)} {ids.Count} invocations", maxValue: ids.Count);
            outcomes = await RunAllAsync(c, action, ids, () => task.Increment(1));
        });
        return outcomes;
    }

    private static void Report(CliContext c, string action, List<Outcome> outcomes)
    {
        if (c.Json)
        {
            JsonOut.Write(new JsonArray([.. outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["id"] = o.Id, ["action"] = action, ["status_code"] = o.Status, ["ok"] = o.Ok, ["message"] = o.Message,
            })]));
            return;
        }

        foreach (var o in outcomes)
        {
            c.Out.Write(new Text(o.Ok ? "✓ " : "✗ ", new Style(o.Ok ? Color.Green : Color.Red)));
            c.Out.WriteLine($"{o.Id}: {o.Message}");
        }
    }

    /// <summary>What 200 and 202 mean for each action (docs/server.md, "Operating invocations").</summary>
    private static string Done(string action, int status) => (action, status) switch
    {
        ("cancel", 202) => "cancellation signalled",
        ("cancel", _) => "cancelled",
        ("kill", _) => "killed",
        ("purge", _) => "purged",
        ("pause", 202) => "paused",
        ("pause", _) => "already paused",
        ("resume", _) => "resumed",
        _ => $"done ({status})",
    };

    private static string Capitalized(string action) => char.ToUpperInvariant(action[0]) + action[1..];
}
