using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Keel.Cli.Output;

/// <summary>The --json output: indented, non-ASCII kept as is, one document per run on stdout.</summary>
internal static class JsonOut
{
    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(JsonNode? node) => Console.Out.WriteLine(node?.ToJsonString(Options) ?? "null");

    /// <summary>A JSON element as a node (a copy), for building output from what the server answered.</summary>
    public static JsonNode? Node(JsonElement? element) =>
        element is { } e && e.ValueKind is not JsonValueKind.Undefined and not JsonValueKind.Null ? JsonNode.Parse(e.GetRawText()) : null;
}
