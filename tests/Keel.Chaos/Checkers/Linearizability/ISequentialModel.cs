using Keel.Chaos.History;

namespace Keel.Chaos.Checkers.Linearizability;

/// <summary>The sequential specification a concurrent history is checked against (a register, a queue, ...).</summary>
/// <typeparam name="TState">An immutable state with value equality: the checker memoises on it.</typeparam>
public interface ISequentialModel<TState>
{
    TState Initial { get; }

    /// <summary>
    /// Applies <paramref name="operation"/> at some instant to <paramref name="state"/>: false if the operation could
    /// not have happened in that state (a read of another value, a compare that would not match).
    /// An indeterminate operation has no result: the model checks only what its argument demands.
    /// </summary>
    bool Step(TState state, Operation operation, out TState next);

    /// <summary>
    /// Whether an operation with this outcome can be left out of the search: an indeterminate read constrains
    /// nothing and changes nothing. Certain failures (<see cref="OpKind.Fail"/>) are always left out: they had no effect.
    /// </summary>
    bool Ignorable(Operation operation);
}
