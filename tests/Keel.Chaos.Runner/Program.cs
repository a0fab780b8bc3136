using Keel.Chaos.Campaign;
using Keel.Chaos.Runner;

// The campaigns too long for CI (docs/testing.md, docs/reliability.md). Exit code 1 on a violation.
//   cluster                      the cluster campaign: KEEL_CHAOS_SECONDS of faults (60 s by default)
//   long server|cluster [dir] [--process-faults-only]
//                                the long mode: KEEL_CHAOS_OPS operations per workload (10,000) and KEEL_CHAOS_FAULTS
//                                faults (50), at most KEEL_CHAOS_SECONDS (an hour); the JSON summary and the plots in dir;
//                                every nemesis that works there, or only kill -9 and SIGSTOP of the processes
// KEEL_CHAOS_SEED replays a run.
var campaign = args.FirstOrDefault() ?? "cluster";
var seed = CampaignEnvironment.Seed();
switch (campaign)
{
    case "cluster":
    {
        Console.WriteLine($"cluster campaign, seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it)");
        var (report, dump) = await ClusterCampaign.RunAsync(seed, CampaignEnvironment.Duration(TimeSpan.FromSeconds(60)));
        Console.WriteLine(report.Summary());
        return Verdict(dump);
    }

    case "long" when args.Length >= 2 && args[1] is "server" or "cluster":
    {
        var processOnly = args.Contains("--process-faults-only");
        var rest = args.Skip(2).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
        var outDirectory = rest.Count > 0 ? rest[0] : Path.Combine(Environment.CurrentDirectory, "keel-chaos-long");
        Console.WriteLine($"long run on the {args[1]}, seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it); output in {outDirectory}");
        var run = LongRun.FromEnvironment(processOnly);
        var (summary, dump) = args[1] == "server" ? await run.ServerAsync(seed, outDirectory) : await run.ClusterAsync(seed, outDirectory);
        Console.WriteLine(summary.ToJson());
        return Verdict(dump);
    }

    default:
        Console.Error.WriteLine($"unknown campaign '{string.Join(' ', args)}': the runner knows 'cluster' and 'long server|cluster [dir] [--process-faults-only]' (the single-server CI campaign is a test: tests/Keel.Chaos.Tests)");
        return 2;
}

static int Verdict(string? dump)
{
    if (dump is null)
    {
        return 0;
    }

    Console.WriteLine($"VIOLATION: history and logs in {dump}");
    return 1;
}
