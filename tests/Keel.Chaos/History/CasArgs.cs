namespace Keel.Chaos.History;

/// <summary>The argument of a compare-and-set: set the register to <paramref name="To"/> if it holds <paramref name="From"/>.</summary>
public sealed record CasArgs(long From, long To);
