using Keel.Chaos.History;

namespace Keel.Chaos.Checkers.Linearizability;

/// <summary>
/// Decides whether a history of operations on one object is linearizable: whether every operation can be
/// given an instant between its invocation and its completion such that, in the order of those instants,
/// the operations are a legal sequential run of the model.
/// <para>
/// The search is Wing and Gong's: walk the invocations and completions in time order; at each invocation,
/// try to linearize that operation now (the model accepts it in the current state), take it out of the
/// history and start again from the front; meeting the completion of an operation not yet linearized means
/// the choices so far were wrong, so undo the last one and try the next candidate. Lowe's improvement makes
/// it practical: a configuration (the set of operations linearized, the model's state) that was reached
/// once need not be explored again, so each is remembered.
/// </para>
/// <para>
/// Indeterminate operations complete "never": they may be linearized anywhere after their invocation, or
/// not at all, so the search succeeds once only their completions are left.
/// </para>
/// </summary>
public static class LinearizabilityChecker
{
    public const string Name = "linearizability";

    /// <summary>Configurations remembered before the search gives up with <see cref="Verdict.Unknown"/>.</summary>
    public const int DefaultBudget = 2_000_000;

    /// <summary>Checks each key on its own (the objects are independent), all must be linearizable.</summary>
    public static CheckResult CheckPerKey<TState>(IReadOnlyList<Operation> operations, ISequentialModel<TState> model, int budget = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var results = operations.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, Result: Check([.. g], model, budget))).ToList();
        var problems = results.SelectMany(r => r.Result.Problems.Select(p => r.Key is null ? p : $"key {r.Key}: {p}")).ToList();
        var verdict = results.Any(r => r.Result.Verdict == Verdict.Invalid) ? Verdict.Invalid
            : results.Any(r => r.Result.Verdict == Verdict.Unknown) ? Verdict.Unknown
            : Verdict.Valid;
        return new CheckResult(Name, verdict, problems);
    }

    public static CheckResult Check<TState>(IReadOnlyList<Operation> operations, ISequentialModel<TState> model, int budget = DefaultBudget)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentNullException.ThrowIfNull(model);
        var relevant = operations.Where(o => o.Outcome != OpKind.Fail && !model.Ignorable(o)).ToList();
        return new Search<TState>(relevant, model, budget).Run();
    }

    /// <summary>One invocation or completion in the doubly linked, time-ordered list the search edits.</summary>
    private sealed class Entry
    {
        public required int Id { get; init; }

        public required Operation Operation { get; init; }

        public required bool IsCall { get; init; }

        public required long Time { get; init; }

        public Entry? Match { get; set; }

        public Entry? Prev { get; set; }

        public Entry? Next { get; set; }
    }

    private sealed class Search<TState>(IReadOnlyList<Operation> operations, ISequentialModel<TState> model, int budget)
    {
        private readonly Entry _head = new() { Id = -1, Operation = null!, IsCall = false, Time = long.MinValue };

        // The deepest partial linearization reached, to explain a failure.
        private List<Operation> _deepest = [];
        private Operation? _blockedAtDeepest;
        private TState? _stateAtDeepest;

        public CheckResult Run()
        {
            Build();
            // Lowe's memo: (operations linearized, state) pairs already explored; value tuples compare both parts.
            var cache = new HashSet<(BitSet, TState)>();
            var stack = new Stack<(Entry Call, TState Before)>();
            var linearized = new BitSet(operations.Count);
            var state = model.Initial;
            var entry = _head.Next;
            while (_head.Next is not null)
            {
                if (entry!.IsCall)
                {
                    if (model.Step(state, entry.Operation, out var next))
                    {
                        var withIt = linearized.With(entry.Id);
                        if (cache.Add((withIt, next)))
                        {
                            if (cache.Count > budget)
                            {
                                return new CheckResult(Name, Verdict.Unknown, [$"gave up after {budget} configurations ({operations.Count} operations)"]);
                            }

                            stack.Push((entry, state));
                            state = next;
                            linearized = withIt;
                            Lift(entry);
                            entry = _head.Next;
                            continue;
                        }
                    }

                    entry = entry.Next;
                    continue;
                }

                // A completion: of an indeterminate operation means only such completions are left (they sort
                // last), so what remains need not take effect. Of any other: that operation had to be
                // linearized by now, so the last choice was wrong.
                if (entry.Operation.CompleteTime == Operation.Never)
                {
                    return CheckResult.From(Name, []);
                }

                if (_blockedAtDeepest is null || stack.Count > _deepest.Count)
                {
                    _deepest = [.. stack.Reverse().Select(s => s.Call.Operation)];
                    _blockedAtDeepest = entry.Operation;
                    _stateAtDeepest = state;
                }

                if (stack.Count == 0)
                {
                    return new CheckResult(Name, Verdict.Invalid, Explain());
                }

                var (call, before) = stack.Pop();
                state = before;
                linearized = linearized.Without(call.Id);
                Unlift(call);
                entry = call.Next;
            }

            return CheckResult.From(Name, []);
        }

        private List<string> Explain()
        {
            var lines = new List<string>
            {
                $"not linearizable: {_blockedAtDeepest} cannot be linearized after the longest legal prefix " +
                $"({_deepest.Count} of {operations.Count} operations, state then {(_stateAtDeepest is null ? "nil" : _stateAtDeepest.ToString())})",
            };
            lines.AddRange(_deepest.TakeLast(10).Select(o => "  prefix ends: " + o));
            var blocked = _blockedAtDeepest!;
            lines.AddRange(operations
                .Where(o => o != blocked && o.InvokeTime < blocked.CompleteTime && o.CompleteTime > blocked.InvokeTime && !_deepest.Contains(o))
                .Take(10).Select(o => "  concurrent, not linearized: " + o));
            return lines;
        }

        private void Build()
        {
            var entries = new List<Entry>(operations.Count * 2);
            for (var id = 0; id < operations.Count; id++)
            {
                var op = operations[id];
                var call = new Entry { Id = id, Operation = op, IsCall = true, Time = op.InvokeTime };
                var ret = new Entry { Id = id, Operation = op, IsCall = false, Time = op.CompleteTime, Match = call };
                call.Match = ret;
                entries.Add(call);
                entries.Add(ret);
            }

            // At equal times an invocation comes first: the two operations are then taken as concurrent (the lenient reading).
            entries.Sort((a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time) : b.IsCall.CompareTo(a.IsCall));
            var previous = _head;
            foreach (var entry in entries)
            {
                previous.Next = entry;
                entry.Prev = previous;
                previous = entry;
            }
        }

        /// <summary>Takes a linearized operation's invocation and completion out of the list (they keep their links for <see cref="Unlift"/>).</summary>
        private static void Lift(Entry call)
        {
            call.Prev!.Next = call.Next;
            call.Next!.Prev = call.Prev;
            var ret = call.Match!;
            ret.Prev!.Next = ret.Next;
            if (ret.Next is not null)
            {
                ret.Next.Prev = ret.Prev;
            }
        }

        /// <summary>Puts them back, in the reverse order of <see cref="Lift"/>, so every link is restored.</summary>
        private static void Unlift(Entry call)
        {
            var ret = call.Match!;
            ret.Prev!.Next = ret;
            if (ret.Next is not null)
            {
                ret.Next.Prev = ret;
            }

            call.Prev!.Next = call;
            call.Next!.Prev = call;
        }
    }
}
