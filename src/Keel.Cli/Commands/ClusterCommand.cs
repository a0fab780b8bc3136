using System.CommandLine;
using System.Globalization;
using Keel.Cli.Api;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel cluster status</c>: the nodes, which partitions each serves, lease epochs and backlogs (<c>GET /cluster</c>).</summary>
internal static class ClusterCommand
{
    public static Command Create()
    {
        var status = new Command("status", "Nodes, the partitions each serves, lease epochs and queue depths");
        CommandAction.Set(status, async c =>
        {
            var cluster = await c.Admin.GetAsync("/cluster", c.Cancellation);
            if (c.Json)
            {
                JsonOut.Write(JsonOut.Node(cluster));
                return;
            }

            Tables.KeyValues(c.Out, [("Answered by", cluster.Str("node")), ("Storage", cluster.Str("storage")), ("Lease time", cluster.Str("lease_time") ?? "-")]);
            Tables.Heading(c.Out, "Nodes");
            Tables.Print(c.Out, ["NODE", "ALIVE", "PARTITIONS", "INGRESS", "HEARTBEAT AGE"], cluster.Array("nodes").Select(n => (IReadOnlyList<string?>)
            [
                n.Str("name"),
                n.Bool("alive") is false ? "no" : "yes",
                string.Join(',', n.Array("partitions").Select(p => p.GetInt32().ToString(CultureInfo.InvariantCulture))),
                n.Str("ingress_url") ?? "-",
                n.Long("heartbeat_age_ms") is { } age ? $"{age} ms" : "-",
            ]));
            Tables.Heading(c.Out, "Partitions");
            Tables.Print(c.Out, ["PARTITION", "OWNER", "EPOCH", "LEASE LEFT", "QUEUE"], cluster.Array("partitions").Select(p => (IReadOnlyList<string?>)
            [
                p.Long("partition")?.ToString(CultureInfo.InvariantCulture),
                p.Str("owner") ?? "(none)",
                p.Long("epoch")?.ToString(CultureInfo.InvariantCulture),
                p.Long("lease_expires_in_ms") is { } left ? (left > 0 ? $"{left} ms" : "expired") : "-",
                p.Long("queue_depth")?.ToString(CultureInfo.InvariantCulture) ?? "-",
            ]));
        });
        return new Command("cluster", "The nodes of the cluster and their partitions") { status };
    }
}
