namespace Keel.Chaos.History;

/// <summary>Turns a history's entries into operations (invocation + completion).</summary>
public static class Operations
{
    /// <summary>
    /// Pairs each invocation with the next entry of the same process. Nemesis events are skipped; an invocation
    /// still open at the end of the history is indeterminate. A process that invokes twice without a completion
    /// in between, or completes what it never invoked, is a bug of the recorder: that throws.
    /// </summary>
    public static IReadOnlyList<Operation> Pair(IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var open = new Dictionary<int, Op>();
        var paired = new List<(Op Invoke, Op? Completion)>();
        var slotOf = new Dictionary<int, int>();
        foreach (var op in ops)
        {
            if (op.Process == Op.NemesisProcess)
            {
                continue;
            }

            if (op.Kind == OpKind.Invoke)
            {
                if (open.ContainsKey(op.Process))
                {
                    throw new InvalidOperationException($"process {op.Process} invoked #{op.Index} while #{open[op.Process].Index} was still open");
                }

                open[op.Process] = op;
                slotOf[op.Process] = paired.Count;
                paired.Add((op, null));
                continue;
            }

            if (!open.Remove(op.Process, out var invoke))
            {
                throw new InvalidOperationException($"#{op.Index}: process {op.Process} completed an operation it never invoked");
            }

            if (invoke.F != op.F || invoke.Key != op.Key)
            {
                throw new InvalidOperationException($"#{op.Index}: process {op.Process} completed {op.F} but invoked {invoke.F} (#{invoke.Index})");
            }

            paired[slotOf[op.Process]] = (invoke, op);
        }

        return paired.Select(p => p.Completion is { Kind: not OpKind.Info } done
            ? new Operation(p.Invoke.Process, p.Invoke.F, p.Invoke.Key, p.Invoke.Value, done.Kind, done.Value, p.Invoke.Time, done.Time, p.Invoke.Index)
            : new Operation(p.Invoke.Process, p.Invoke.F, p.Invoke.Key, p.Invoke.Value, OpKind.Info, null, p.Invoke.Time, Operation.Never, p.Invoke.Index)).ToList();
    }
}
