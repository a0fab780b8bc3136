using System.Text.Json;
using Keel.Cli.Api;

namespace Keel.Cli.Invocations;

/// <summary>
/// The callee of a journal's call entry. restate-server 1.7 leaves <c>invoked_id</c>/<c>invoked_target</c> empty for
/// journals of protocol V4+ (the commands and notifications form) and puts them in <c>entry_json</c> only
/// (<c>{"Command":{"Call":{"request":{"invocation_id", "invocation_target"}}}}</c>); Keel fills both. Reading the
/// columns first and entry_json second works on either.
/// </summary>
internal static class JournalCalls
{
    /// <summary>The SQL condition that picks call entries (request-response calls, not one-way sends), in both journal forms.</summary>
    public const string CallEntries = "entry_type IN ('Command: Call', 'Call')";

    public static (string? Id, string? Target) CalleeOf(JsonElement row)
    {
        var id = row.Str("invoked_id");
        var target = row.Str("invoked_target");
        if ((id is null || target is null) && row.Str("entry_json") is { } json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.Prop("Command")?.Prop("Call")?.Prop("request") is { } request)
                {
                    id ??= request.Str("invocation_id");
                    target ??= Target(request.Prop("invocation_target"));
                }
            }
            catch (JsonException)
            {
                // An entry the server could not render: no callee to show.
            }
        }

        return (id, target);
    }

    /// <summary>{"VirtualObject":{"name","key","handler"}} → "name/key/handler"; a service has no key.</summary>
    private static string? Target(JsonElement? target)
    {
        if (target is not { ValueKind: JsonValueKind.Object } t)
        {
            return null;
        }

        foreach (var kind in t.EnumerateObject())
        {
            var v = kind.Value;
            return v.Str("key") is { } key ? $"{v.Str("name")}/{key}/{v.Str("handler")}" : $"{v.Str("name")}/{v.Str("handler")}";
        }

        return null;
    }
}
