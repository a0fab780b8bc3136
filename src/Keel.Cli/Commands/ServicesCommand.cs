using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel services list|describe|config</c>: registered services, their handlers and settings.</summary>
internal static class ServicesCommand
{
    /// <summary>The settings `config` can change, as (option, admin API field).</summary>
    private static readonly (string Option, string Field)[] Settings =
    [
        ("--idempotency-retention", "idempotency_retention"),
        ("--workflow-completion-retention", "workflow_completion_retention"),
        ("--journal-retention", "journal_retention"),
        ("--inactivity-timeout", "inactivity_timeout"),
        ("--abort-timeout", "abort_timeout"),
    ];

    public static Command Create()
    {
        var command = new Command("services", "List and describe services, show and change their settings");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Describe());
        command.Subcommands.Add(Config());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List services");
        command.Aliases.Add("ls");
        CommandAction.Set(command, async c =>
        {
            var answer = await c.Admin.GetAsync("/services", c.Cancellation);
            var services = answer.Array("services").OrderBy(s => s.Str("name"), StringComparer.Ordinal).ToList();
            if (c.Json)
            {
                JsonOut.Write(new JsonArray([.. services.Select(s => (JsonNode)new JsonObject
                {
                    ["name"] = s.Str("name"),
                    ["type"] = s.Str("ty"),
                    ["revision"] = s.Long("revision"),
                    ["deployment_id"] = s.Str("deployment_id"),
                    ["public"] = s.Bool("public"),
                    ["handlers"] = Handlers(s),
                })]));
                return;
            }

            Tables.Print(c.Out, ["NAME", "TYPE", "REVISION", "HANDLERS", "DEPLOYMENT"], services.Select(s => (IReadOnlyList<string?>)
            [
                s.Str("name"), s.Str("ty"), s.Long("revision")?.ToString(CultureInfo.InvariantCulture),
                string.Join(", ", s.Array("handlers").Select(h => h.Str("name"))), s.Str("deployment_id"),
            ]));
        });
        return command;
    }

    private static Command Describe()
    {
        var name = new Argument<string>("name") { Description = "Service name" };
        var command = new Command("describe", "Show a service: handlers with their kinds, and its settings") { name };
        command.Aliases.Add("get");
        CommandAction.Set(command, async c =>
        {
            var s = await c.Admin.GetAsync($"/services/{Uri.EscapeDataString(c.Get(name)!)}", c.Cancellation);
            if (c.Json)
            {
                JsonOut.Write(new JsonObject
                {
                    ["name"] = s.Str("name"),
                    ["type"] = s.Str("ty"),
                    ["revision"] = s.Long("revision"),
                    ["deployment_id"] = s.Str("deployment_id"),
                    ["public"] = s.Bool("public"),
                    ["handlers"] = Handlers(s),
                    ["settings"] = SettingsJson(s),
                });
                return;
            }

            Tables.KeyValues(c.Out, [("Name", s.Str("name")), ("Type", s.Str("ty")), ("Revision", s.Long("revision")?.ToString(CultureInfo.InvariantCulture)), ("Deployment", s.Str("deployment_id")), ("Public", s.Bool("public")?.ToString())]);
            Tables.Heading(c.Out, "Handlers");
            Tables.Print(c.Out, ["NAME", "KIND", "INPUT", "OUTPUT"], s.Array("handlers").Select(h => (IReadOnlyList<string?>)
                [h.Str("name"), Kind(s, h), h.Str("input_description"), h.Str("output_description")]));
            Tables.Heading(c.Out, "Settings");
            PrintSettings(c, s);
        });
        return command;
    }

    private static Command Config()
    {
        var name = new Argument<string>("name") { Description = "Service name" };
        var command = new Command("config", "Show a service's settings, or change them with the options") { name };
        var options = Settings.Select(s => (s.Field, Option: new Option<string>(s.Option) { Description = $"Set {s.Field.Replace('_', ' ')} (e.g. 2d, 10m, 500ms)" })).ToList();
        foreach (var (_, option) in options)
        {
            command.Options.Add(option);
        }

        // Keel's own (docs/server.md "Deadlocks"); a restate-server answers 400 for it.
        var deadlock = new Option<string>("--deadlock") { Description = "Set the deadlock policy: report (default) or fail (a new cycle through this service is failed at once)" };
        deadlock.AcceptOnlyFromAmong("report", "fail");
        command.Options.Add(deadlock);

        CommandAction.Set(command, async c =>
        {
            var path = $"/services/{Uri.EscapeDataString(c.Get(name)!)}";
            var patch = new JsonObject();
            foreach (var (field, option) in options)
            {
                if (c.Get(option) is { } value)
                {
                    patch[field] = Durations.Validate(value, option.Name);
                }
            }

            if (c.Get(deadlock) is { } policy)
            {
                patch["deadlock"] = policy;
            }

            var s = patch.Count == 0
                ? await c.Admin.GetAsync(path, c.Cancellation)
                : await c.Admin.RequireAsync(HttpMethod.Patch, path, patch, c.Cancellation);
            if (c.Json)
            {
                var json = SettingsJson(s);
                json["name"] = s.Str("name");
                JsonOut.Write(json);
                return;
            }

            if (patch.Count > 0)
            {
                c.Out.WriteLine($"Updated {s.Str("name")}: {string.Join(", ", patch.Select(p => $"{p.Key} = {p.Value}"))}");
            }

            PrintSettings(c, s);
        });
        return command;
    }

    /// <summary>A handler's kind: the API's ty (Exclusive, Shared, Workflow), or "Service" for a plain service's handlers.</summary>
    private static string Kind(JsonElement service, JsonElement handler) =>
        handler.Str("ty") ?? (service.Str("ty") == "Service" ? "Service" : "Exclusive");

    private static JsonArray Handlers(JsonElement s) =>
        new([.. s.Array("handlers").OrderBy(h => h.Str("name"), StringComparer.Ordinal).Select(h => (JsonNode)new JsonObject { ["name"] = h.Str("name"), ["kind"] = Kind(s, h) })]);

    private static JsonObject SettingsJson(JsonElement s)
    {
        var json = new JsonObject();
        foreach (var (_, field) in Settings)
        {
            json[field] = s.Str(field);
        }

        json["enable_lazy_state"] = s.Bool("enable_lazy_state");
        json["deadlock"] = s.Str("deadlock");
        json["retry_policy"] = JsonOut.Node(s.Prop("retry_policy"));
        return json;
    }

    private static void PrintSettings(CliContext c, JsonElement s)
    {
        var retry = s.Prop("retry_policy");
        Tables.KeyValues(c.Out,
        [
            .. Settings.Select(x => (x.Field, s.Str(x.Field) ?? (x.Field == "workflow_completion_retention" ? null : "-"))),
            ("enable_lazy_state", s.Bool("enable_lazy_state")?.ToString()),
            ("deadlock", s.Str("deadlock")),
            ("retry_policy", retry is { } r ? string.Join(", ", r.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => $"{p.Name} {p.Value}")) : null),
        ]);
    }
}
