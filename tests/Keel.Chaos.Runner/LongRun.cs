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

    public static LongRun FromEnvironment() => new()
    {
        Operations = Number("KEEL_CHAOS_OPS") ?? 10_000,
        Faults = Number("KEEL_CHAOS_FAULTS") ?? 50,
        Cap = CampaignEnvironment.Duration(TimeSpan.FromHours(1)),
    };

    private static int? Number(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : null;

    /// <summary>Runs on one server; the endpoint, the server (kill, pause) and the extra nemeses are the faults.</summary>
    public async Task<(LongRunSummary Summary, string? Dump)> ServerAsync(int seed, string outDirectory)
    {
        var random = new Random(seed);
        await using var server = await KeelServerProcess.StartAsync();
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        var options = new WorkloadOptions { IngressUrl = server.IngressUrl, Seed = random.Next(), Clients = 3, Keys = 8 };
        var nemeses = RecordedNemesis.Each(new KillServerNemesis(server), new PauseServerNemesis(server), new KillEndpointNemesis(endpoint));
        var schedule = new NemesisSchedule(new CompositeNemesis(nemeses), new Random(random.Next())) { MaxQuiet = TimeSpan.FromSeconds(3), MaxFaulty = TimeSpan.FromSeconds(3) };
        return await RunAsync("server", seed, random, options, options, endpoint, schedule, outDirectory, [server.LogFile, endpoint.LogFile, endpoint.LedgerFile]);
    }

    /// <summary>Runs on three nodes sharing one PostgreSQL: kill -9 of a node, SIGSTOP of a node, kill -9 of PostgreSQL, of the endpoint.</summary>
    public async Task<(LongRunSummary Summary, string? Dump)> ClusterAsync(int seed, string outDirectory)
    {
        var random = new Random(seed);
        await using var cluster = await KeelCluster.StartAsync(3);
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
                new KillPostgresNemesis(cluster.Postgres),
                .. cluster.Nodes.Select((n, i) => (INemesis)new KillServerNemesis(n, $"node-{i + 1}")),
                new PauseServerNemesis(cluster.Nodes[2], "node-3"),
                new KillEndpointNemesis(endpoint),
            ]);
        var schedule = new NemesisSchedule(new CompositeNemesis(nemeses), new Random(random.Next())) { MaxQuiet = TimeSpan.FromSeconds(3), MaxFaulty = TimeSpan.FromSeconds(5) };
        return await RunAsync("cluster", seed, random, first, second, endpoint, schedule, outDirectory, [.. cluster.Nodes.Select(n => n.LogFile), endpoint.LogFile, endpoint.LedgerFile]);
    }

    /// <summary>Half of the workloads enter through <paramref name="first"/>'s ingress, half through <paramref name="second"/>'s.</summary>
    private async Task<(LongRunSummary Summary, string? Dump)> RunAsync(
        string mode, int seed, Random random, WorkloadOptions first, WorkloadOptions second, ChaosEndpointProcess endpoint, NemesisSchedule schedule, string outDirectory, string[] logs)
    {
        IWorkload[] workloads =
        [
            new SetWorkload(first with { Seed = random.Next() }),
            new RegisterWorkload(second with { Seed = random.Next(), Keys = 3 }) { OpsPerKey = 150 },
            new EffectsWorkload(second with { Seed = random.Next() }, endpoint.LedgerFile),
            new SendWorkload(first with { Seed = random.Next(), Keys = 32 }),
            new DelayedSendWorkload(second with { Seed = random.Next(), Keys = 32 }),
            new WorkflowWorkload(first with { Seed = random.Next() }, endpoint.LedgerFile),
        ];
        var runner = new CampaignRunner(seed, workloads, schedule)
        {
            Duration = Cap,
            Patience = TimeSpan.FromMinutes(3),
            Enough = history => Progress(history, workloads, schedule) >= Operations && schedule.Faults >= Faults,
        };
        Console.WriteLine($"{mode}: until {Operations} operations per workload and {Faults} faults (at most {Cap.TotalMinutes:0} min)");
        var report = await runner.RunAsync();
        Console.WriteLine(report.Summary());
        var summary = LongRunSummary.From(mode, report, workloads);
        await summary.WriteAsync(outDirectory, report, workloads);
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
