using System.Xml.Linq;
using Keel.Chaos.History;
using Keel.Chaos.Reports;
using Keel.Chaos.Nemeses;

namespace Keel.Chaos.Tests.Reports;

public class ThroughputPlotTests
{
    /// <summary>A nemesis that only says what it did (or declines, as a pause of a server that is down does), for a history with fault windows.</summary>
    private sealed class Named(string name, bool declines = false) : INemesis
    {
        public string Name => name;

        public Task FaultAsync(Random random, OpHistory history)
        {
            if (!declines)
            {
                history.Nemesis("do", name);
            }

            return Task.CompletedTask;
        }

        public Task HealAsync(OpHistory history) => Task.CompletedTask;
    }

    [Fact]
    public async Task Recorded_faults_become_windows_that_the_plot_shades_under_the_throughput_lines()
    {
        var history = new OpHistory();
        var kill = new RecordedNemesis(new Named("kill server"));
        var pause = new RecordedNemesis(new Named("pause server"));
        var declined = new RecordedNemesis(new Named("pause endpoint", declines: true));
        history.Complete(history.Invoke(0, "add", "set-1", 1L), OpKind.Ok);
        await kill.FaultAsync(new Random(1), history);
        await declined.FaultAsync(new Random(1), history);   // nothing happened: no window
        history.Complete(history.Invoke(0, "add", "set-1", 2L), OpKind.Info, error: "no answer");
        await kill.HealAsync(history);
        await declined.HealAsync(history);
        await pause.HealAsync(history);   // not in force: records nothing
        await pause.FaultAsync(new Random(1), history);
        history.Complete(history.Invoke(1, "read", "other-1", null), OpKind.Ok);

        var windows = FaultWindow.From(history.Ops);
        var svg = XDocument.Parse(ThroughputPlot.Svg("set & co", history.Ops, k => k?.StartsWith("set-", StringComparison.Ordinal) == true, windows));

        Assert.Equal([("kill server", true), ("pause server", true)], windows.Select(w => (w.Kind, w.End >= w.Start)));
        Assert.Equal(history.Ops[^1].Time, windows[1].End);   // still in force at the end: closed there
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(2, svg.Descendants(ns + "polyline").Count());
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "kill server ×1");
        Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "set & co");
        Assert.Equal(2, svg.Descendants(ns + "rect").Count(r => r.Attribute("fill-opacity")?.Value == "0.35"));
    }
}
