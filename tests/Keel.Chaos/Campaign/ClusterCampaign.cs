using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
using Keel.TestSupport;

namespace Keel.Chaos.Campaign;

/// <summary>
/// Every workload (sets, registers, side effects, ordered sends, delayed sends, workflows) on a cluster of two Keel nodes sharing one
/// PostgreSQL (short leases), the services in their own endpoint process; the set and send clients enter through
/// node 1's ingress (the workflow clients too), the register, effects and delayed-send clients through node 2's, so most requests are forwarded to the
/// partition's owner and most sends cross nodes. The nemesis, seeded: kill -9 of a node (restart
/// on its data directory and ports; its partitions fail over to the other node when the lease runs out meanwhile)
/// or of PostgreSQL (restart, crash recovery), a restart of node 1 with its wall clock moved, or a network fault (<see cref="ClusterLinks"/>) between a node and
/// PostgreSQL or between the nodes, sometimes two at once. CI runs it for 20 s (tests/Keel.Chaos.Tests), the
/// runner (tests/Keel.Chaos.Runner) for as long as asked.
/// </summary>
public static class ClusterCampaign
{
    /// <summary>Runs the campaign; on a violation the history and every log are dumped, and the report says where.</summary>
    public static async Task<(CampaignReport Report, string? Dump)> RunAsync(int seed, TimeSpan duration)
    {
        var random = new Random(seed);
        await using var links = new ClusterLinks();
        await using var cluster = await KeelCluster.StartAsync(2, nodeArguments: links.NodeArguments);
        links.ForwardIngressAndAdmin(cluster);
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(cluster.Nodes[0].AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        // A node that restarts gets a new lease after the old one runs out: calls may wait for that, so a longer deadline.
        var options = new WorkloadOptions { IngressUrl = cluster.Nodes[0].IngressUrl, Seed = random.Next(), Clients = 3, Keys = 3, OperationTimeout = TimeSpan.FromSeconds(8) };
        var nemesis = new CompositeNemesis(
        [
            // The links first, then PostgreSQL: a heal then reconnects and restarts the database before the nodes,
            // which need it to become healthy.
            .. links.Nemeses(),
            new KillPostgresNemesis(cluster.Postgres),
            new KillServerNemesis(cluster.Nodes[0], "node-1"),
            new KillServerNemesis(cluster.Nodes[1], "node-2"),
            // A node restarted with its clock moved: the timers of the partitions it takes over run on a clock
            // that disagrees with the one that set them (skew between nodes).
            // Started again at the heal, after the links' heal: with node-1's link to the database broken by a fault
            // at the same time, a start during the fault could not become healthy.
            new ClockJumpNemesis(cluster.Nodes[0], "node-1") { RestartAtHeal = true },
        ]);
        var schedule = new NemesisSchedule(nemesis, new Random(random.Next())) { MaxFaulty = TimeSpan.FromSeconds(5) };
        IWorkload[] workloads =
        [
            new SetWorkload(options),
            // More keys than the others: network faults leave many register operations indeterminate, and fewer per key
            // keep the linearizability search within its budget.
            new RegisterWorkload(options with { IngressUrl = cluster.Nodes[1].IngressUrl, Seed = random.Next(), Keys = 6 }),
            new EffectsWorkload(options with { IngressUrl = cluster.Nodes[1].IngressUrl, Seed = random.Next(), Clients = 2 }, endpoint.LedgerFile),
            new SendWorkload(options with { Seed = random.Next(), Clients = 2 }),
            // Node 1's clock moves: alarms may run before their due time by the endpoint's clock.
            new DelayedSendWorkload(options with { IngressUrl = cluster.Nodes[1].IngressUrl, Seed = random.Next(), Clients = 2 }) { ClockJumps = true },
            new WorkflowWorkload(options with { Seed = random.Next(), Clients = 2 }, endpoint.LedgerFile),
        ];
        var report = await new CampaignRunner(seed, workloads, schedule) { Duration = duration, Patience = new SettlingPatience(Idle: TimeSpan.FromSeconds(60), Cap: TimeSpan.FromMinutes(5)) { Progress = Console.Out } }.RunAsync();
        var dump = report.IsValid ? null : await report.DumpAsync([.. cluster.Nodes.Select(n => n.LogFile), endpoint.LogFile, endpoint.LedgerFile]);
        return (report, dump);
    }
}
