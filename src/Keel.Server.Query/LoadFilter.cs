namespace Keel.Server.Query;

/// <summary>
/// What a query lets the load of one table skip: only rows whose columns hold one of the given values
/// (and none of the excluded ones), and at most <see cref="Limit"/> rows of <see cref="Table"/>: the
/// first read, or the first by <see cref="OrderBy"/>. It only narrows what reaches DuckDB, which still
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

    private static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> None = new Dictionary<string, IReadOnlySet<string>>();

    public IReadOnlySet<string>? Ids => Equal.GetValueOrDefault(Id);

    /// <summary>Row columns and the values each must not hold (<c>&lt;&gt;</c>, <c>!=</c>, <c>NOT IN</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> NotEqual { get; init; } = None;

    /// <summary>
    /// With <see cref="Limit"/>: the rows to keep are the first <see cref="Limit"/> in this order (and every
    /// row tied with the last of them), not the first read.
    /// </summary>
    public LoadOrder? OrderBy { get; init; }

    /// <summary>
    /// A table whose loaded rows' ids are the only ones this table needs (the query keeps its rows
    /// <c>id IN (SELECT id FROM</c> that table <c>…)</c>), or null. That table is loaded first.
    /// </summary>
    public string? IdsLoadedInto { get; init; }

    /// <summary>Whether a row whose <paramref name="column"/> holds <paramref name="value"/> can pass this filter's conditions on that column (as in SQL, a null passes none).</summary>
    public bool Allows(string column, string? value) =>
        (!Equal.TryGetValue(column, out var allowed) || (value is not null && allowed.Contains(value)))
        && (!NotEqual.TryGetValue(column, out var excluded) || (value is not null && !excluded.Contains(value)));

    /// <summary>Whether the filter skips anything at all.</summary>
    public bool Narrows => Equal.Count > 0 || NotEqual.Count > 0 || Limit is not null || IdsLoadedInto is not null;
}

/// <summary>An order the load can pick the first rows by: a row column that is never null, ascending or descending.</summary>
internal sealed record LoadOrder(string Column, bool Descending);
