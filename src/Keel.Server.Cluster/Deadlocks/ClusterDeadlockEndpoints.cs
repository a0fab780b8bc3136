using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Admin;
using Keel.Server.Hosting;

namespace Keel.Server.Cluster.Deadlocks;

/// <summary>
/// The internal listener's deadlock routes (behind its signature check): this node's waits for another node's
/// detector, a cycle another node found, and the <c>fail</c> policy's failure for a queued call served here.
/// </summary>
internal static class ClusterDeadlockEndpoints
{
    public static void Map(ServerRoleContext context, ClusterHandle cluster)
    {
        var (_, runtime, _) = context;
        context.InternalRoutes.MapGet("/internal/v1/waits", () => cluster.Deadlocks is { } deadlocks
            ? Results.Text(deadlocks.LocalWaits().ToJsonString(), "application/json")
            : AdminEndpoints.Error(404, "Deadlock detection is off on this node."));

        context.InternalRoutes.MapPost("/internal/v1/deadlocks", async (HttpRequest request) =>
        {
            if (cluster.Deadlocks is not { } deadlocks)
            {
                return AdminEndpoints.Error(404, "Deadlock detection is off on this node.");
            }

            try
            {
                deadlocks.Told(DeadlockWire.ParseCycle(await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false)));
                return Results.NoContent();
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                return AdminEndpoints.Error(400, $"Malformed cycle: {e.Message}");
            }
        });

        context.InternalRoutes.MapPost("/internal/v1/deadlocks/fail", async (HttpRequest request) =>
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException e)
            {
                return AdminEndpoints.Error(400, $"Malformed failure: {e.Message}");
            }

            // Checked by kind, not read with GetValue: a number, an array or an object where a string belongs is a 400, not a throw.
            if (Text(body, "id") is not { } text || !InvocationId.TryParse(text, out var id) || Text(body, "message") is not { } message)
            {
                return AdminEndpoints.Error(400, "Needs an object with an invocation id and a message, both strings.");
            }

            // Only a partition served here: never passed on again, so a failure cannot go round between nodes.
            if (!runtime.LocalPartitions.Contains(runtime.Map.PartitionOf(id.PartitionKey)))
            {
                return AdminEndpoints.Error(409, $"The partition of {id} is not served by this node.");
            }

            runtime.FailDeadlocked(id, message);
            return Results.NoContent();
        });
    }

    private static string? Text(JsonNode? body, string name) =>
        body is JsonObject json && json[name] is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;
}
