using Keel.Chaos.History;
using Keel.Chaos.Nemeses;

namespace Keel.Chaos.Reports;

/// <summary>
/// A nemesis that marks its fault windows in the history: "fault-window" (its name) once the fault is injected
/// and "fault-window-end" once its heal has finished (a restarted process answering again). Only faults that happened are
/// marked: one the nemesis declined (a pause of a server that is down records nothing) is not, and the heals the
/// schedule asks of every nemesis when none of its faults is in force record nothing. The long runs' plots shade
/// these windows and their summaries count faults by kind from them, whatever the nemesis.
/// </summary>
public sealed class RecordedNemesis(INemesis inner) : INemesis
{
    public const string Fault = "fault-window";

    public const string Healed = "fault-window-end";

    private bool _inForce;

    public string Name => inner.Name;

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var before = history.Count;
        await inner.FaultAsync(random, history);
        if (history.Since(before).Any(o => o.Process == Op.NemesisProcess))
        {
            history.Nemesis(Fault, Name);
            _inForce = true;
        }
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        await inner.HealAsync(history);
        if (_inForce)
        {
            _inForce = false;
            history.Nemesis(Healed, Name);
        }
    }

    /// <summary>Wraps each nemesis, for a composite whose faults are then recorded one by one.</summary>
    public static INemesis[] Each(params INemesis[] nemeses) => [.. nemeses.Select(n => new RecordedNemesis(n))];
}
