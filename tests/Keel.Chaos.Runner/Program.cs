using Keel.Chaos.Campaign;

// The campaigns too long for CI. Usage: keel-chaos-runner cluster (KEEL_CHAOS_SEED replays a run,
// KEEL_CHAOS_SECONDS sets how long the faults last: 60 s by default). Exit code 1 on a violation.
var campaign = args.FirstOrDefault() ?? "cluster";
if (campaign != "cluster")
{
    Console.Error.WriteLine($"unknown campaign '{campaign}': the runner knows 'cluster' (the single-server campaign is a test: tests/Keel.Chaos.Tests)");
    return 2;
}

var seed = CampaignEnvironment.Seed();
Console.WriteLine($"cluster campaign, seed {seed} ({CampaignEnvironment.SeedVariable}={seed} replays it)");
var (report, dump) = await ClusterCampaign.RunAsync(seed, CampaignEnvironment.Duration(TimeSpan.FromSeconds(60)));
Console.WriteLine(report.Summary());
if (dump is not null)
{
    Console.WriteLine($"VIOLATION: history and logs in {dump}");
    return 1;
}

return 0;
