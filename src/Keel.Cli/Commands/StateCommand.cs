using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary>
/// <c>keel state get|set|clear</c>: an object's (or workflow's) state by key. Reads through <c>POST /query</c> (the
/// <c>state</c> table); writes replace the key's whole state with <c>POST /services/{object}/state</c>, carrying the
/// version of what was read so that a concurrent change makes the server refuse (409) instead of being overwritten.
/// </summary>
internal static class StateCommand
{
    public static Command Create()
    {
        var command = new Command("state", "Read and change the state of a virtual object or workflow key");
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Set());
        command.Subcommands.Add(Clear());
        return command;
    }

    private static (Argument<string> Obj, Argument<string> Key) Target() =>
        (new Argument<string>("object") { Description = "Virtual object or workflow name" }, new Argument<string>("key") { Description = "Its key" });

    private static Command Get()
    {
        var (obj, key) = Target();
        var name = new Argument<string?>("name") { Description = "One entry (all of them when left out)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("get", "Show a key's state entries (values as JSON when they are JSON)") { obj, key, name };
        CommandAction.Set(command, async c =>
        {
            var state = await ReadAsync(c, c.Get(obj)!, c.Get(key)!);
            var entries = c.Get(name) is { } n
                ? state.TryGetValue(n, out var v) ? new SortedDictionary<string, byte[]>(StringComparer.Ordinal) { [n] = v } : throw new CliException($"{c.Get(obj)}/{c.Get(key)} has no state entry '{n}'")
                : state;
            if (c.Json)
            {
                JsonOut.Write(new JsonArray([.. entries.Select(e => (JsonNode)new JsonObject { ["name"] = e.Key, ["value"] = Value(e.Value) })]));
                return;
            }

            Tables.Print(c.Out, ["NAME", "VALUE"], entries.Select(e => (IReadOnlyList<string?>)[e.Key, Encoding.UTF8.GetString(e.Value)]));
        });
        return command;
    }

    private static Command Set()
    {
        var (obj, key) = Target();
        var name = new Argument<string>("name") { Description = "The entry to set" };
        var json = new Argument<string>("json") { Description = "Its new value, as JSON (e.g. 42, '\"text\"', '{\"a\":1}')" };
        var command = new Command("set", "Set one state entry (refused if the state changed since it was read)") { obj, key, name, json };
        CommandAction.Set(command, async c =>
        {
            var text = c.Get(json)!;
            try
            {
                using var _ = JsonDocument.Parse(text);
            }
            catch (JsonException e)
            {
                throw CliException.Usage($"the value is not JSON ({e.Message}); quote strings: '\"text\"'");
            }

            var state = await ReadAsync(c, c.Get(obj)!, c.Get(key)!);
            var version = StateVersion.Of(state);
            state[c.Get(name)!] = Encoding.UTF8.GetBytes(text);
            await WriteAsync(c, c.Get(obj)!, c.Get(key)!, state, version);
            Done(c, $"Set {c.Get(obj)}/{c.Get(key)} {c.Get(name)} = {text}", state);
        });
        return command;
    }

    private static Command Clear()
    {
        var (obj, key) = Target();
        var name = new Argument<string?>("name") { Description = "One entry (the whole state when left out)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("clear", "Remove one state entry, or all of a key's state") { obj, key, name };
        CommandAction.Set(command, async c =>
        {
            var (o, k) = (c.Get(obj)!, c.Get(key)!);
            var state = await ReadAsync(c, o, k);
            var version = StateVersion.Of(state);
            if (c.Get(name) is { } n)
            {
                if (!state.Remove(n))
                {
                    throw new CliException($"{o}/{k} has no state entry '{n}'");
                }
            }
            else
            {
                c.Confirm($"clear all {state.Count} state entries of {o}/{k}");
                state.Clear();
            }

            await WriteAsync(c, o, k, state, version);
            Done(c, c.Get(name) is { } removed ? $"Removed {o}/{k} {removed}" : $"Cleared the state of {o}/{k}", state);
        });
        return command;
    }

    private static async Task<SortedDictionary<string, byte[]>> ReadAsync(CliContext c, string obj, string key)
    {
        var rows = await c.Admin.QueryAsync(
            $"SELECT key, value FROM state WHERE service_name = {Sql.Literal(obj)} AND service_key = {Sql.Literal(key)}", c.Cancellation);
        var state = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            // The query API gives binary columns as lowercase hex.
            state[row.Str("key") ?? string.Empty] = Convert.FromHexString(row.Str("value") ?? string.Empty);
        }

        return state;
    }

    private static async Task WriteAsync(CliContext c, string obj, string key, SortedDictionary<string, byte[]> state, string version)
    {
        var newState = new JsonObject();
        foreach (var (name, value) in state)
        {
            newState[name] = new JsonArray([.. value.Select(b => (JsonNode)JsonValue.Create(b))]);
        }

        var body = new JsonObject { ["object_key"] = key, ["new_state"] = newState, ["version"] = version };
        await c.Admin.RequireAsync(HttpMethod.Post, $"/services/{Uri.EscapeDataString(obj)}/state", body, c.Cancellation);
    }

    private static void Done(CliContext c, string message, SortedDictionary<string, byte[]> state)
    {
        if (c.Json)
        {
            JsonOut.Write(new JsonArray([.. state.Select(e => (JsonNode)new JsonObject { ["name"] = e.Key, ["value"] = Value(e.Value) })]));
            return;
        }

        c.Out.WriteLine(message);
    }

    /// <summary>A value as JSON when it is JSON (what SDKs store), else as its UTF-8 text.</summary>
    private static JsonNode? Value(byte[] bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        try
        {
            return JsonNode.Parse(text) ?? JsonValue.Create((string?)null);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
