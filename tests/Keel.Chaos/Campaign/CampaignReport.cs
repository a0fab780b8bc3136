using System.Globalization;
using System.Text;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Campaign;

/// <summary>What a campaign did and what the checkers concluded.</summary>
public sealed record CampaignReport(int Seed, IReadOnlyList<Op> Ops, IReadOnlyList<CheckResult> Results, int Faults, TimeSpan Elapsed)
{
    /// <summary>Every checker says valid (an unknown verdict is no pass: the run proved nothing).</summary>
    public bool IsValid => Results.All(r => r.IsValid);

    public string Summary()
    {
        var operations = Operations.Pair(Ops);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"seed {Seed} (replay with {CampaignEnvironment.SeedVariable}={Seed}), {Elapsed.TotalSeconds:F1} s, {Faults} faults, ");
        text.Append(CultureInfo.InvariantCulture, $"{operations.Count} operations: ");
        text.AppendJoin(", ", operations.GroupBy(o => o.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        text.AppendLine();
        // Which faults: the nemeses record "kill", "pause" (and their heals) with what they hit.
        var faults = Ops.Where(o => o.Process == Op.NemesisProcess && o.F is "kill" or "pause" or "fault").GroupBy(o => $"{o.F} {o.Value}").OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (faults.Count > 0)
        {
            text.Append("  faults: ").AppendJoin(", ", faults.Select(g => $"{g.Key} ×{g.Count()}")).AppendLine();
        }

        foreach (var group in operations.GroupBy(o => $"{o.Key?.Split('-')[0]} {o.F}").OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"  {group.Key}: ");
            text.AppendJoin(", ", group.GroupBy(o => o.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
            text.AppendLine();
        }

        // The commonest reasons calls failed or went indeterminate (digits blurred, so "HTTP 503: ... inv_1ab" groups).
        var reasons = Ops.Where(o => o.Error is not null).GroupBy(o => Blur(o.Error!)).OrderByDescending(g => g.Count()).Take(5).ToList();
        foreach (var reason in reasons)
        {
            text.Append(CultureInfo.InvariantCulture, $"  ×{reason.Count()}: {reason.Key}").AppendLine();
        }

        foreach (var result in Results)
        {
            text.AppendLine(result.ToString());
        }

        return text.ToString();
    }

    private static string Blur(string error)
    {
        var text = new string([.. error.Take(100).Select(c => char.IsAsciiDigit(c) ? '#' : c)]);
        return error.Length > 100 ? text + "..." : text;
    }

    /// <summary>
    /// Writes the history (JSON Lines), the summary and copies of the given logs into a new directory under
    /// <paramref name="root"/> (by default <c>KEEL_CHAOS_OUT</c>, else the temp directory's keel-chaos), and returns its path.
    /// </summary>
    public async Task<string> DumpAsync(IEnumerable<string> logs, string? root = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        root ??= Environment.GetEnvironmentVariable("KEEL_CHAOS_OUT") is { Length: > 0 } configured ? configured : Path.Combine(Path.GetTempPath(), "keel-chaos");
        var directory = Directory.CreateDirectory(Path.Combine(root, $"seed-{Seed}-{DateTime.UtcNow:yyyyMMddTHHmmss}")).FullName;
        await HistoryJson.WriteAsync(Path.Combine(directory, "history.jsonl"), Ops);
        await File.WriteAllTextAsync(Path.Combine(directory, "summary.txt"), Summary());
        foreach (var log in logs.Where(File.Exists))
        {
            // The process may still hold the log open: copy by reading with sharing.
            await using var source = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            await using var target = File.Create(Path.Combine(directory, Path.GetFileName(log)));
            await source.CopyToAsync(target);
        }

        return directory;
    }
}
