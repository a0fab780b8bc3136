using System.Text.Json;
using Keel.Chaos.Campaign;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;
using Keel.Chaos.Workloads;

namespace Keel.Chaos.Reports;

/// <summary>One workload's figures in a long run: its operations by outcome and the problems its checkers found.</summary>
public sealed record WorkloadFigures(string Name, int Operations, int Ok, int Fail, int Info, int Violations, IReadOnlyList<string> Checkers);

/// <summary>
/// What a long run did, as written to its JSON summary: operations per workload, faults by kind, violations, and
/// the time to heal: from the end of the faults to the first acknowledged operation, and to the end of the settling
/// (every accepted request completed, every final read answered).
/// </summary>
public sealed record LongRunSummary(
    string Mode,
    int Seed,
    DateTimeOffset Date,
    double Seconds,
    int Faults,
    IReadOnlyDictionary<string, int> FaultsByKind,
    double SecondsFaulty,
    double? SecondsToFirstAnswer,
    double? SecondsToSettle,
    IReadOnlyList<WorkloadFigures> Workloads,
    bool Valid)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public int Violations => Workloads.Sum(w => w.Violations);

    public static LongRunSummary From(string mode, CampaignReport report, IReadOnlyList<IWorkload> workloads)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(workloads);
        var ops = report.Ops;
        var operations = Operations.Pair(ops);
        var windows = FaultWindow.From(ops);
        var healed = ops.FirstOrDefault(o => o.Process == Op.NemesisProcess && o.F == "healed")?.Time;
        var settled = ops.FirstOrDefault(o => o.Process == Op.NemesisProcess && o.F == "settled")?.Time;
        var firstAnswer = healed is null ? null : ops.FirstOrDefault(o => o.Time >= healed && o.Process != Op.NemesisProcess && o.Kind == OpKind.Ok)?.Time;
        var figures = workloads.Select(w =>
        {
            var mine = operations.Where(o => w.Owns(o.Key)).ToList();
            var results = w.Check(operations);
            return new WorkloadFigures(
                w.Name,
                mine.Count,
                mine.Count(o => o.Outcome == OpKind.Ok),
                mine.Count(o => o.Outcome == OpKind.Fail),
                mine.Count(o => o.Outcome == OpKind.Info),
                results.Sum(r => r.IsValid ? 0 : Math.Max(1, r.Problems.Count)),
                [.. results.Select(r => $"{r.Checker}: {r.Verdict}")]);
        }).ToList();
        return new LongRunSummary(
            mode,
            report.Seed,
            DateTimeOffset.UtcNow,
            report.Elapsed.TotalSeconds,
            windows.Count,
            windows.GroupBy(w => w.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Math.Round(windows.Sum(w => (w.End - w.Start) / 1e9), 1),
            healed is null || firstAnswer is null ? null : Math.Round((firstAnswer.Value - healed.Value) / 1e9, 2),
            healed is null || settled is null ? null : Math.Round((settled.Value - healed.Value) / 1e9, 2),
            figures,
            report.IsValid);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The summary as <c>summary.json</c> and one throughput plot per workload (<c>{mode}-{workload}.svg</c>) in <paramref name="directory"/>.</summary>
    public async Task WriteAsync(string directory, CampaignReport report, IReadOnlyList<IWorkload> workloads)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(workloads);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, $"{Mode}-summary.json"), ToJson());
        var windows = FaultWindow.From(report.Ops);
        foreach (var workload in workloads)
        {
            var figures = Workloads.First(w => w.Name == workload.Name);
            var title = $"{workload.Name} on {Mode}: {figures.Operations} operations, {Faults} faults, {figures.Violations} violations (seed {Seed})";
            await File.WriteAllTextAsync(Path.Combine(directory, $"{Mode}-{workload.Name}.svg"), ThroughputPlot.Svg(title, report.Ops, workload.Owns, windows));
        }
    }
}
