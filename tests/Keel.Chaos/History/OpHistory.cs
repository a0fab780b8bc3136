using System.Diagnostics;

namespace Keel.Chaos.History;

/// <summary>
/// A history being recorded by concurrent clients and nemeses: entries appended in the order they happen,
/// each stamped from one monotonic clock (<see cref="Stopwatch"/>), so "completed before invoked" between
/// two entries is a fact the checkers can rely on.
/// </summary>
public sealed class OpHistory
{
    private readonly List<Op> _ops = [];
    private readonly long _start = Stopwatch.GetTimestamp();
    private int _processes;

    /// <summary>A snapshot of the entries so far, in order.</summary>
    public IReadOnlyList<Op> Ops
    {
        get
        {
            lock (_ops)
            {
                return [.. _ops];
            }
        }
    }

    /// <summary>How many entries there are so far.</summary>
    public int Count
    {
        get
        {
            lock (_ops)
            {
                return _ops.Count;
            }
        }
    }

    /// <summary>The entries from <paramref name="index"/> on, in order (a snapshot).</summary>
    public IReadOnlyList<Op> Since(int index)
    {
        lock (_ops)
        {
            return _ops.GetRange(index, Math.Max(0, _ops.Count - index));
        }
    }

    /// <summary>A process id not used before in this history: for a new client, or a client whose last operation is indeterminate.</summary>
    public int NewProcess() => Interlocked.Increment(ref _processes) - 1;

    /// <summary>Records that <paramref name="process"/> begins <paramref name="f"/> with argument <paramref name="value"/>.</summary>
    public Op Invoke(int process, string f, string? key, object? value) => Append(process, OpKind.Invoke, f, key, value, null);

    /// <summary>Records how the operation <paramref name="invoke"/> ended: ok with its result, fail or info with the reason.</summary>
    public Op Complete(Op invoke, OpKind kind, object? value = null, string? error = null)
    {
        ArgumentNullException.ThrowIfNull(invoke);
        if (kind == OpKind.Invoke)
        {
            throw new ArgumentException("A completion is ok, fail or info.", nameof(kind));
        }

        return Append(invoke.Process, kind, invoke.F, invoke.Key, value, error);
    }

    /// <summary>Records a fault injected or healed (<c>kill</c>, <c>start</c>, ...): shown in dumps, ignored by the checkers.</summary>
    public Op Nemesis(string f, object? value = null) => Append(Op.NemesisProcess, OpKind.Info, f, null, value, null);

    private Op Append(int process, OpKind kind, string f, string? key, object? value, string? error)
    {
        lock (_ops)
        {
            // Stamped inside the lock: the index order and the time order of the entries agree.
            var op = new Op
            {
                Index = _ops.Count,
                Process = process,
                Kind = kind,
                F = f,
                Key = key,
                Value = value,
                Time = (long)Stopwatch.GetElapsedTime(_start).TotalNanoseconds,
                Error = error,
            };
            _ops.Add(op);
            return op;
        }
    }
}
