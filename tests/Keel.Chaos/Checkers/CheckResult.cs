namespace Keel.Chaos.Checkers;

public enum Verdict
{
    Valid,

    /// <summary>The history breaks the property: <see cref="CheckResult.Problems"/> says where.</summary>
    Invalid,

    /// <summary>The checker gave up (its search budget ran out): neither proven valid nor invalid.</summary>
    Unknown,
}

/// <summary>What a checker concluded about a history, with a readable line per problem found.</summary>
public sealed record CheckResult(string Checker, Verdict Verdict, IReadOnlyList<string> Problems)
{
    public bool IsValid => Verdict == Verdict.Valid;

    public static CheckResult From(string checker, IReadOnlyList<string> problems) =>
        new(checker, problems.Count == 0 ? Verdict.Valid : Verdict.Invalid, problems);

    public override string ToString() =>
        $"{Checker}: {Verdict}" + (Problems.Count == 0 ? "" : Environment.NewLine + string.Join(Environment.NewLine, Problems.Select(p => "  " + p)));
}
