using Keel.Chaos.Campaign;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Tests.Campaign;

public class CampaignReportTests
{
    [Fact]
    public async Task A_failed_campaign_dumps_its_history_summary_and_logs_and_names_its_seed()
    {
        var history = new OpHistory();
        history.Complete(history.Invoke(0, "add", "set-1", 5L), OpKind.Ok);
        history.Nemesis("kill", "server");
        history.Complete(history.Invoke(0, "read", "set-1", null), OpKind.Ok, new List<long>());
        var results = new[] { SetFullChecker.Check(Operations.Pair(history.Ops)) };
        var report = new CampaignReport(42, history.Ops, results, Faults: 1, TimeSpan.FromSeconds(3));
        var root = Directory.CreateTempSubdirectory("keel-chaos-test-").FullName;
        var log = Path.Combine(root, "server.log");
        await File.WriteAllTextAsync(log, "the server's last words");

        try
        {
            var dump = await report.DumpAsync([log, Path.Combine(root, "missing.log")], Path.Combine(root, "out"));

            Assert.False(report.IsValid);
            Assert.Equal(5, File.ReadAllLines(Path.Combine(dump, "history.jsonl")).Length);
            var summary = await File.ReadAllTextAsync(Path.Combine(dump, "summary.txt"));
            Assert.Contains("KEEL_CHAOS_SEED=42", summary, StringComparison.Ordinal);
            Assert.Contains("set-full: Invalid", summary, StringComparison.Ordinal);
            Assert.Contains("lost", summary, StringComparison.Ordinal);
            Assert.Contains("faults: kill server ×1", summary, StringComparison.Ordinal);
            Assert.Equal("the server's last words", await File.ReadAllTextAsync(Path.Combine(dump, "server.log")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
