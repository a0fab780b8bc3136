using System.Globalization;
using System.Text.Json.Nodes;
using Keel.Server.Contracts;
using Keel.Server.Deadlocks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Admin;

/// <summary>
/// <c>GET /deadlocks</c> (Keel's own, not in Restate's API): the cycles of invocations waiting for each other
/// that stand now, oldest first, each with its invocations (id, target, and whether it waits for the next one's
/// call result or key lock) and when it was detected. A cycle leaves the list once broken.
/// </summary>
public static class DeadlockEndpoints
{
    public static void Map(RouteGroupBuilder group, IRuntimeApi runtime)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(runtime);
        group.MapGet("/deadlocks", () => Results.Json(new JsonObject
        {
            ["deadlocks"] = new JsonArray([.. runtime.Deadlocks.Select(c => (JsonNode)Cycle(c))]),
        }));
    }

    private static JsonObject Cycle(DeadlockCycle cycle) => new()
    {
        ["detected_at"] = cycle.DetectedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["invocations"] = new JsonArray([.. cycle.Members.Select(m => (JsonNode)new JsonObject
        {
            ["id"] = m.Id,
            ["target"] = m.Target,
            ["waits_on"] = m.WaitsBy == WaitReason.Call ? "call" : "lock",
        })]),
    };
}
