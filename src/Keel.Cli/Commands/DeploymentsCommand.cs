using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel deployments register|list|describe|remove</c>: the endpoints that serve the services.</summary>
internal static class DeploymentsCommand
{
    public static Command Create()
    {
        var command = new Command("deployments", "Register, list, describe and remove deployments (service endpoints)");
        command.Subcommands.Add(Register());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Describe());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Register()
    {
        var uri = new Argument<string>("uri") { Description = "The endpoint's URL, e.g. http://127.0.0.1:9080" };
        var force = new Option<bool>("--force") { Description = "Discover the endpoint again and replace a deployment at the same address" };
        var http1 = new Option<bool>("--http1") { Description = "Talk HTTP/1.1 to the endpoint (request-response) instead of h2c" };
        var command = new Command("register", "Register a deployment (discovers its services)") { uri, force, http1 };
        CommandAction.Set(command, async c =>
        {
            var url = c.Get(uri)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https"))
            {
                throw CliException.Usage($"'{url}' is not an http(s) URL");
            }

            var body = new JsonObject { ["uri"] = url, ["force"] = c.Get(force), ["use_http_11"] = c.Get(http1) };
            var answer = await c.Admin.RequireAsync(HttpMethod.Post, "/deployments", body, c.Cancellation);
            var services = answer.Array("services").Select(s => s.Str("name") ?? string.Empty).ToList();
            if (c.Json)
            {
                JsonOut.Write(new JsonObject
                {
                    ["id"] = answer.Str("id"),
                    ["services"] = new JsonArray([.. answer.Array("services").Select(s => (JsonNode)new JsonObject { ["name"] = s.Str("name"), ["revision"] = s.Long("revision") })]),
                });
                return;
            }

            c.Out.WriteLine($"Registered {answer.Str("id")} with {services.Count} service(s): {string.Join(", ", services)}");
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List deployments");
        command.Aliases.Add("ls");
        CommandAction.Set(command, async c =>
        {
            var answer = await c.Admin.GetAsync("/deployments", c.Cancellation);
            var deployments = answer.Array("deployments").OrderBy(d => d.Str("created_at"), StringComparer.Ordinal).ToList();
            if (c.Json)
            {
                JsonOut.Write(new JsonArray([.. deployments.Select(d => (JsonNode)Summary(d))]));
                return;
            }

            Tables.Print(c.Out, ["ID", "ENDPOINT", "TYPE", "SERVICES", "CREATED"], deployments.Select(d => (IReadOnlyList<string?>)
            [
                d.Str("id"), Endpoint(d), d.Str("protocol_type"),
                string.Join(", ", d.Array("services").Select(s => $"{s.Str("name")} (rev {s.Long("revision")})")),
                d.Str("created_at"),
            ]));
        });
        return command;
    }

    private static Command Describe()
    {
        var id = new Argument<string>("id") { Description = "Deployment id (dp_…)" };
        var command = new Command("describe", "Show a deployment and the services it serves") { id };
        command.Aliases.Add("get");
        CommandAction.Set(command, async c =>
        {
            var d = await c.Admin.GetAsync($"/deployments/{Uri.EscapeDataString(c.Get(id)!)}", c.Cancellation);
            if (c.Json)
            {
                var json = Summary(d);
                json["services"] = new JsonArray([.. d.Array("services").Select(s => (JsonNode)new JsonObject
                {
                    ["name"] = s.Str("name"),
                    ["type"] = s.Str("ty"),
                    ["revision"] = s.Long("revision"),
                    ["handlers"] = new JsonArray([.. s.Array("handlers").Select(h => (JsonNode)JsonValue.Create(h.Str("name"))!)]),
                })]);
                JsonOut.Write(json);
                return;
            }

            Tables.KeyValues(c.Out,
            [
                ("ID", d.Str("id")), ("Endpoint", Endpoint(d)), ("Type", d.Str("protocol_type")), ("HTTP", d.Str("http_version")),
                ("Protocol", $"V{d.Long("min_protocol_version")}–V{d.Long("max_protocol_version")}"), ("SDK", d.Str("sdk_version")),
                ("Created", d.Str("created_at")),
            ]);
            Tables.Heading(c.Out, "Services");
            Tables.Print(c.Out, ["NAME", "TYPE", "REVISION", "HANDLERS"], d.Array("services").Select(s => (IReadOnlyList<string?>)
            [
                s.Str("name"), s.Str("ty"), s.Long("revision")?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                string.Join(", ", s.Array("handlers").Select(h => h.Str("name"))),
            ]));
        });
        return command;
    }

    private static Command Remove()
    {
        var id = new Argument<string>("id") { Description = "Deployment id (dp_…)" };
        var force = new Option<bool>("--force") { Description = "Remove it even if it serves the latest revision of a service" };
        var command = new Command("remove", "Remove a deployment") { id, force };
        command.Aliases.Add("rm");
        CommandAction.Set(command, async c =>
        {
            var deploymentId = c.Get(id)!;
            var path = $"/deployments/{Uri.EscapeDataString(deploymentId)}";
            var deployment = await c.Admin.GetAsync(path, c.Cancellation);

            // The API only removes with force=true; the check a plain `remove` needs is done here: a deployment that
            // still serves the current revision of a service would take that service away.
            var services = await c.Admin.GetAsync("/services", c.Cancellation);
            var serving = services.Array("services").Where(s => s.Str("deployment_id") == deploymentId).Select(s => s.Str("name")).ToList();
            if (serving.Count > 0 && !c.Get(force))
            {
                throw new CliException($"deployment {deploymentId} serves the latest revision of {string.Join(", ", serving)}: pass --force to remove it anyway");
            }

            c.Confirm($"remove deployment {deploymentId} ({Endpoint(deployment)})");
            await c.Admin.RequireAsync(HttpMethod.Delete, path + "?force=true", null, c.Cancellation);
            if (c.Json)
            {
                JsonOut.Write(new JsonObject { ["id"] = deploymentId, ["removed"] = true });
                return;
            }

            c.Out.WriteLine($"Removed {deploymentId}");
        });
        return command;
    }

    private static string? Endpoint(JsonElement d) => d.Str("uri") ?? d.Str("arn");

    private static JsonObject Summary(JsonElement d) => new()
    {
        ["id"] = d.Str("id"),
        ["endpoint"] = Endpoint(d),
        ["protocol_type"] = d.Str("protocol_type"),
        ["http_version"] = d.Str("http_version"),
        ["created_at"] = d.Str("created_at"),
        ["services"] = new JsonArray([.. d.Array("services").Select(s => (JsonNode)new JsonObject { ["name"] = s.Str("name"), ["revision"] = s.Long("revision") })]),
    };
}
