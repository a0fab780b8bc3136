namespace Keel.Server.Query;

/// <summary>
/// What a query lets the load skip: only rows whose columns hold one of the given values, and at most
/// <see cref="Limit"/> rows of <see cref="Table"/>. It only narrows what reaches DuckDB, which still
/// evaluates the whole query, so it must never leave out a row the query could see (see
/// <see cref="LoadFilters"/> for when one is derived).
/// </summary>
/// <param name="Table">The table the filter is about, whose loaded rows the limit counts (for the view, its status table).</param>
/// <param name="Equal">Row columns (the source's filterable columns) and the values each may hold.</param>
/// <param name="Limit">How many rows of <paramref name="Table"/> are enough, or null for all.</param>
internal sealed record LoadFilter(string Table, IReadOnlyDictionary<string, IReadOnlySet<string>> Equal, long? Limit)
{
    /// <summary>The column whose values a source can look up by key rather than scan for.</summary>
    public const string Id = "id";

    public IReadOnlySet<string>? Ids => Equal.GetValueOrDefault(Id);
}
