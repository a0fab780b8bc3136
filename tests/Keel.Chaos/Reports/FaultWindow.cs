using Keel.Chaos.History;

namespace Keel.Chaos.Reports;

/// <summary>One fault in force from <see cref="Start"/> to <see cref="End"/> (nanoseconds of the history's clock).</summary>
public sealed record FaultWindow(string Kind, long Start, long End)
{
    /// <summary>The windows <see cref="RecordedNemesis"/> marked; one still open at the end of the history closes there.</summary>
    public static IReadOnlyList<FaultWindow> From(IReadOnlyList<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var open = new Dictionary<string, Stack<long>>(StringComparer.Ordinal);
        var windows = new List<FaultWindow>();
        foreach (var op in ops.Where(o => o.Process == Op.NemesisProcess && o.Value is string))
        {
            var kind = (string)op.Value!;
            if (op.F == RecordedNemesis.Fault)
            {
                (open.TryGetValue(kind, out var starts) ? starts : open[kind] = new Stack<long>()).Push(op.Time);
            }
            else if (op.F == RecordedNemesis.Healed && open.TryGetValue(kind, out var starts) && starts.Count > 0)
            {
                windows.Add(new FaultWindow(kind, starts.Pop(), op.Time));
            }
        }

        var end = ops.Count == 0 ? 0 : ops[^1].Time;
        windows.AddRange(open.SelectMany(o => o.Value.Select(start => new FaultWindow(o.Key, start, end))));
        return [.. windows.OrderBy(w => w.Start)];
    }
}
