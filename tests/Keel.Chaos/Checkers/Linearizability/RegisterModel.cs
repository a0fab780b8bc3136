using Keel.Chaos.History;

namespace Keel.Chaos.Checkers.Linearizability;

/// <summary>
/// A read/write/compare-and-set register that starts empty (null): <c>read</c> (result: the value, or null),
/// <c>write</c> (argument: the value), <c>cas</c> (argument: <see cref="CasArgs"/>; ok when it swapped; a compare
/// that did not match is a certain failure, recorded as <see cref="OpKind.Fail"/>, so it is left out).
/// </summary>
public sealed class RegisterModel : ISequentialModel<long?>
{
    public static RegisterModel Instance { get; } = new();

    public long? Initial => null;

    public bool Step(long? state, Operation operation, out long? next)
    {
        ArgumentNullException.ThrowIfNull(operation);
        next = state;
        switch (operation.F)
        {
            case "read":
                return state == (long?)operation.Result;
            case "write":
                next = (long)operation.Argument!;
                return true;
            case "cas":
                var cas = (CasArgs)operation.Argument!;
                if (state != cas.From)
                {
                    return false;
                }

                next = cas.To;
                return true;
            default:
                throw new ArgumentException($"a register has no operation {operation.F}");
        }
    }

    public bool Ignorable(Operation operation) => operation is { F: "read", IsIndeterminate: true };
}
