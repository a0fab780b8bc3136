namespace Keel.Chaos.History;

/// <summary>
/// An invocation paired with its completion: what the checkers reason about. An operation whose outcome is
/// unknown (<see cref="OpKind.Info"/>, or still open when the history ended) completes at <see cref="long.MaxValue"/>:
/// it may take effect at any time after its invocation.
/// </summary>
public sealed record Operation(int Process, string F, string? Key, object? Argument, OpKind Outcome, object? Result, long InvokeTime, long CompleteTime, long Index)
{
    public const long Never = long.MaxValue;

    public bool IsOk => Outcome == OpKind.Ok;

    public bool IsIndeterminate => Outcome == OpKind.Info;

    public override string ToString() =>
        $"#{Index} p{Process} {F}{(Key is null ? "" : $"[{Key}]")}({Format(Argument)}) -> {Outcome}{(Outcome == OpKind.Ok && Result is not null ? " " + Format(Result) : "")} " +
        $"[{InvokeTime / 1_000_000.0:F3} ms, {(CompleteTime == Never ? "∞" : $"{CompleteTime / 1_000_000.0:F3} ms")}]";

    private static string Format(object? value) => value switch
    {
        null => "nil",
        IEnumerable<long> list => "[" + string.Join(",", list) + "]",
        _ => value.ToString() ?? "",
    };
}
