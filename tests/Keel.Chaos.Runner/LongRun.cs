using System.Globalization;
using Keel.Chaos.Campaign;
using Keel.Chaos.History;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Reports;
using Keel.Chaos.Workloads;
using Keel.TestSupport;

namespace Keel.Chaos.Runner;

/// <summary>
/// The long mode: every workload on one server (RocksDB) or on a three-node cluster on PostgreSQL, the faults going
/// on until every workload has done <see cref="Operations"/> operations and <see cref="Faults"/> faults were injected
/// (or <see cref="Cap"/> ran out), then the heal and every checker; writes the JSON summary and one throughput plot
/// per workload.
/// </summary>
public sealed class LongRun
{
    private DateTime _lastProgress = DateTime.UtcNow;

    public int Operations { get; init; } = 10_000;

    public int Faults { get; init; } = 50;

    public TimeSpan Cap { get; init; } = TimeSpan.FromHours(1);

    public static LongRun FromEnvironment(bool processFaultsOnly) => new()
    {
        ProcessFaultsOnly = processFaultsOnly,
        Operations = Number("KEEL_CHAOS_OPS") ?? 10_000,
        Faults = Number("KEEL_CHAOS_FAULTS") ?? 50,
        Cap = CampaignEnvironment.Duration(TimeSpan.FromHours(1)),
    };

    private static int? Number(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    /// <summary>Only the process faults (kill -9, SIGSTOP), as the first long runs had; by default every nemesis that works here.</summary>
    public bool ProcessFaultsOnly { get; init; }

    private string Label(string mode) => ProcessFaultsOnly ? $"{mode}-process" : mode;

    /// <summary>
    /// Runs on one server (RocksDB). Process faults: kill -9 and SIGSTOP of the server, kill -9 of the endpoint. And,
    /// unless <see cref="ProcessFaultsOnly"/>: the link server → endpoint through a TCP proxy, store faults through the
    /// server's testing seam, wall-clock jumps across restarts, and a full disk (the database directory on a tmpfs,
    /// where the machine lets this process mount one), one kind at a time in a shuffled turn.
    /// </summary>
    public async Task<(LongRunSummary Summary, string? Dump)> ServerAsync(int seed, string outDirectory)
    {
        var directory = Directory.CreateTempSubdirectory("keel-chaos-long-").FullName;
        try
        {
            return await ServerAsync(seed, outDirectory, directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<(LongRunSummary Summary, string? Dump)> ServerAsync(int seed, string outDirectory, string directory)
    {
        var random = new Random(seed);
        await using var rig = await ProxiedServer.StartAsync(directory, ProcessFaultsOnly ? null : 1024);
        if (rig.DiskRefusal is { } refusal)
        {
            Console.WriteLine($"full disk left out: {refusal}");
        }

        var options = new WorkloadOptions { IngressUrl = rig.Server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 8 };
        INemesis[] process = [new KillServerNemesis(rig.Server), new PauseServerNemesis(rig.Server), new KillEndpointNemesis(rig.Endpoint)];
        INemesis nemesis = ProcessFaultsOnly
            ? new CompositeNemesis(RecordedNemesis.Each(process))
            // One at a time: a paused server cannot refuse the commit a store fault waits for.
            : new EachInTurnNemesis(RecordedNemesis.Each([.. process, .. rig.InfrastructureNemeses()]));
        var schedule = new NemesisSchedule(nemesis, new Random(random.Next())) { MinQuiet = TimeSpan.FromSeconds(2), MaxQuiet = TimeSpan.FromSeconds(6), MaxFaulty = TimeSpan.FromSeconds(3) };
        return await RunAsync(Label("server"), seed, random, options, options, rig.Endpoint, schedule, outDirectory, clockJumps: !ProcessFaultsOnly, rig.Logs, rig.Server.AdminUrl);
    }

    /// <summary>
    /// Runs on three nodes sharing one PostgreSQL: kill -9 of a node, SIGSTOP of node 3, kill -9 of PostgreSQL and of
    /// the endpoint; and, unless <see cref="ProcessFaultsOnly"/>, network faults on each node's link to PostgreSQL and
    /// on the links between nodes (<see cref="ClusterLinks"/>).
    /// </summary>
    public async Task<(LongRunSummary Summary, string? Dump)> ClusterAsync(int seed, string outDirectory)
    {
        var random = new Random(seed);
        await using var links = new ClusterLinks();
        await using var cluster = ProcessFaultsOnly ? await KeelCluster.StartAsync(3) : await KeelCluster.StartAsync(3, nodeArguments: links.NodeArguments);
        if (!ProcessFaultsOnly)
        {
            links.ForwardIngressAndAdmin(cluster);
        }

        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(cluster.Nodes[0].AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        // A node that restarts gets a new lease after the old one runs out: calls may wait for that, so a longer deadline.
        var first = new WorkloadOptions { IngressUrl = cluster.Nodes[0].IngressUrl, Seed = random.Next(), Clients = 3, Keys = 8, OperationTimeout = TimeSpan.FromSeconds(8) };
        var second = first with { IngressUrl = cluster.Nodes[1].IngressUrl };
        var nemeses = RecordedNemesis.Each(
            [
                // The links first, then PostgreSQL: a heal then reconnects and restarts the database before the nodes.
                .. ProcessFaultsOnly ? [] : links.Nemeses(),
                new KillPostgresNemesis(cluster.Postgres),
                .. cluster.Nodes.Select((n, i) => (INemesis)new KillServerNemesis(n, $"node-{i + 1}")),
                new PauseServerNemesis(cluster.Nodes[2], "node-3"),
                new KillEndpointNemesis(endpoint),
            ]);
        var schedule = new NemesisSchedule(new CompositeNemesis(nemeses), new Random(random.Next())) { MinQuiet = TimeSpan.FromSeconds(2), MaxQuiet = TimeSpan.FromSeconds(6), MaxFaulty = TimeSpan.FromSeconds(5) };
        // Fewer operations per register key than on one server: a cluster leaves many more calls indeterminate (a 5xx while
        // partitions move), each open forever in the linearizability search, which gave up on keys of 30-100 operations.
        return await RunAsync(Label("cluster"), seed, random, first, second, endpoint, schedule, outDirectory, clockJumps: false,
            [.. cluster.Nodes.Select(n => n.LogFile), endpoint.LogFile, endpoint.LedgerFile], cluster.Nodes[0].AdminUrl, registerOpsPerKey: 30);
    }

    /// <summary>Half of the workloads enter through <paramref name="first"/>'s ingress, half through <paramref name="second"/>'s.</summary>
    private async Task<(LongRunSummary Summary, string? Dump)> RunAsync(
        string mode, int seed, Random random, WorkloadOptions first, WorkloadOptions second, ChaosEndpointProcess endpoint, NemesisSchedule schedule, string outDirectory, bool clockJumps, string[] logs, Uri adminUrl, int registerOpsPerKey = 150)
    {
        IWorkload[] workloads =
        [
            new SetWorkload(first with { Seed = random.Next() }),
            new RegisterWorkload(second with { Seed = random.Next(), Keys = 3 }) { OpsPerKey = registerOpsPerKey },
            new EffectsWorkload(second with { Seed = random.Next() }, endpoint.LedgerFile),
            new SendWorkload(first with { Seed = random.Next(), Keys = 32 }),
            new DelayedSendWorkload(second with { Seed = random.Next(), Keys = 32 }) { ClockJumps = clockJumps },
            new WorkflowWorkload(first with { Seed = random.Next() }, endpoint.LedgerFile),
        ];
        var runner = new CampaignRunner(seed, workloads, schedule)
        {
            Duration = Cap,
            // Thousands of indeterminate requests on the cluster: as long as they keep settling, go on (up to the cap).
            Patience = new SettlingPatience(Idle: TimeSpan.FromMinutes(3), Cap: TimeSpan.FromMinutes(25)) { Progress = Console.Out },
            Enough = history => Progress(history, workloads, schedule) >= Operations && schedule.Faults >= Faults,
        };
        Console.WriteLine($"{mode}: until {Operations} operations per workload and {Faults} faults (at most {Cap.TotalMinutes:0} min)");
        var report = await runner.RunAsync();
        Console.WriteLine(report.Summary());
        var summary = LongRunSummary.From(mode, report, workloads);
        await summary.WriteAsync(outDirectory, report, workloads);
        // Whether the server still holds invocations that did not end (unsettled requests, paused retries), and in what state.
        Console.WriteLine(await UnfinishedInvocations.DescribeAsync(adminUrl));

        var dump = report.IsValid ? null : await report.DumpAsync(logs);
        return (summary, dump);
    }

    /// <summary>The operations of the workload that has done fewest; a progress line every half minute.</summary>
    private int Progress(OpHistory history, IWorkload[] workloads, NemesisSchedule schedule)
    {
        var invocations = history.Ops.Where(o => o.Kind == OpKind.Invoke && o.Process != Op.NemesisProcess).ToList();
        var counts = workloads.Select(w => (w.Name, Count: invocations.Count(o => w.Owns(o.Key)))).ToList();
        if (DateTime.UtcNow - _lastProgress > TimeSpan.FromSeconds(30))
        {
            _lastProgress = DateTime.UtcNow;
            Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {schedule.Faults} faults; operations: {string.Join(", ", counts.Select(c => $"{c.Name} {c.Count}"))}");
        }

        return counts.Min(c => c.Count);
    }
}
