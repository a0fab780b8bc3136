using System.Text.Json.Nodes;
using Keel.Server.Admin;
using Keel.Server.Hosting;

namespace Keel.Server.Cluster;

/// <summary>
/// The cluster's endpoints: <c>GET /cluster</c> on the admin listener (nodes, partitions, owners,
/// epochs, queue depths) for operators, and on the internal listener the hand-over endpoint other
/// nodes deliver outbox entries to.
/// On the embedded storage the "cluster" is this one node serving every partition.
/// </summary>
internal static class ClusterEndpoints
{
    public static void Map(ServerRoleContext context, ClusterHandle cluster)
    {
        var (settings, runtime, _) = context;
        context.AdminRoutes.MapGet("/cluster", () => Results.Text(Describe(settings, runtime, cluster.Node).ToJsonString(), "application/json"));

        // On the internal listener only, behind its signature check (InternalAuthentication).
        context.InternalRoutes.MapPost("/internal/v1/partitions/{partition:int}/handovers", async (int partition, HttpRequest request) =>
        {
            if (partition < 0 || partition >= runtime.PartitionCount)
            {
                return AdminEndpoints.Error(404, $"There is no partition {partition}.");
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted).ConfigureAwait(false);
            List<Partitions.PartitionCommand> commands;
            try
            {
                commands = HandOverCodec.Decode(body.ToArray());
            }
            catch (FormatException e)
            {
                return AdminEndpoints.Error(400, $"Malformed hand-over: {e.Message}");
            }

            // The acknowledgement goes back to the source partition: one that does not exist is refused here, not
            // found out after the delivery was applied.
            if (commands.OfType<Partitions.PartitionCommand.Deliver>().FirstOrDefault(d => d.Source < 0 || d.Source >= runtime.PartitionCount) is { } stray)
            {
                return AdminEndpoints.Error(400, $"Malformed hand-over: there is no source partition {stray.Source}.");
            }

            foreach (var command in commands)
            {
                if (!runtime.TryDeliver(partition, command))
                {
                    return AdminEndpoints.Error(409, $"Partition {partition} is not served by this node.");
                }
            }

            return Results.NoContent();
        });
    }

    private static JsonObject Describe(ServerSettings settings, KeelRuntime runtime, ClusterNode? node)
    {
        var local = runtime.Partitions.ToDictionary(p => p.Partition);
        if (node?.View is not { } view)
        {
            var self = settings.NodeName ?? "local";
            return new JsonObject
            {
                ["node"] = self,
                ["storage"] = "rocksdb",
                ["nodes"] = new JsonArray(new JsonObject
                {
                    ["name"] = self,
                    ["alive"] = true,
                    ["partitions"] = new JsonArray([.. runtime.LocalPartitions.Select(p => (JsonNode)p)]),
                }),
                ["partitions"] = new JsonArray([.. runtime.LocalPartitions.Select(p => (JsonNode)Partition(p, self, 0, null, local))]),
            };
        }

        return new JsonObject
        {
            ["node"] = node.Name,
            ["storage"] = "postgres",
            ["lease_time"] = Ingress.Durations.Format(node.LeaseTime),
            ["nodes"] = new JsonArray([.. view.Members.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Node,
                ["ingress_url"] = m.IngressUrl.ToString(),
                ["admin_url"] = m.AdminUrl.ToString(),
                ["internal_url"] = m.InternalUrl?.ToString(),
                ["alive"] = view.Now - m.HeartbeatAt <= node.LeaseTime,
                ["heartbeat_age_ms"] = (long)(view.Now - m.HeartbeatAt).TotalMilliseconds,
                ["started_at"] = m.StartedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["partitions"] = new JsonArray([.. view.Leases.Where(l => l.Owner == m.Node && l.ExpiresAt > view.Now).Select(l => (JsonNode)l.Partition)]),
            })]),
            ["partitions"] = new JsonArray([.. view.Leases.Select(l => (JsonNode)Partition(
                l.Partition, l.Owner, l.Epoch, l.Owner is null ? null : (long)(l.ExpiresAt - view.Now).TotalMilliseconds, local))]),
        };
    }

    private static JsonObject Partition(int partition, string? owner, long epoch, long? expiresInMs, Dictionary<int, Partitions.PartitionProcessor> local) => new()
    {
        ["partition"] = partition,
        ["owner"] = owner,
        ["epoch"] = epoch,
        ["lease_expires_in_ms"] = expiresInMs,
        // Only the node serving a partition knows its backlog.
        ["queue_depth"] = local.TryGetValue(partition, out var processor) ? processor.QueueDepth : null,
    };
}
