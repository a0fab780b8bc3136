using System.Text.Json.Nodes;
using Keel.Server.Deadlocks;

namespace Keel.Server.Cluster.Deadlocks;

/// <summary>
/// Waits and cycles as nodes send them to each other (JSON on the internal listener): an edge is
/// <c>{"from", "from_target", "to", "waits_on": "call"|"lock"}</c>, a cycle <c>{"members": [{"id", "target", "waits_on"}]}</c>.
/// </summary>
internal static class DeadlockWire
{
    public static JsonObject Edges(IEnumerable<WaitEdge> edges) => new()
    {
        ["edges"] = new JsonArray([.. edges.Select(e => (JsonNode)new JsonObject
        {
            ["from"] = e.From,
            ["from_target"] = e.FromTarget,
            ["to"] = e.To,
            ["waits_on"] = Reason(e.Reason),
        })]),
    };

    /// <exception cref="FormatException">Not a list of edges.</exception>
    public static List<WaitEdge> ParseEdges(JsonNode? json) =>
        [.. Items(json, "edges").Select(e => new WaitEdge(Text(e, "from"), Text(e, "from_target"), Text(e, "to"), Reason(Text(e, "waits_on"))))];

    public static JsonObject Cycle(IEnumerable<CycleMember> members) => new()
    {
        ["members"] = new JsonArray([.. members.Select(m => (JsonNode)new JsonObject { ["id"] = m.Id, ["target"] = m.Target, ["waits_on"] = Reason(m.WaitsBy) })]),
    };

    /// <exception cref="FormatException">Not a cycle.</exception>
    public static List<CycleMember> ParseCycle(JsonNode? json) =>
        [.. Items(json, "members").Select(m => new CycleMember(Text(m, "id"), Text(m, "target"), Reason(Text(m, "waits_on"))))];

    private static string Reason(WaitReason reason) => reason == WaitReason.Call ? "call" : "lock";

    private static WaitReason Reason(string text) => text switch
    {
        "call" => WaitReason.Call,
        "lock" => WaitReason.Lock,
        _ => throw new FormatException($"waits_on must be call or lock, not '{text}'."),
    };

    private static IEnumerable<JsonNode> Items(JsonNode? json, string name) =>
        (json as JsonObject)?[name] is JsonArray items ? items.Select(i => i ?? throw new FormatException($"A null in {name}.")) : throw new FormatException($"No {name} array.");

    private static string Text(JsonNode node, string name) =>
        (node as JsonObject)?[name] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)value! : throw new FormatException($"No {name}.");
}
