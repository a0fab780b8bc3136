using DuckDB.NET.Data;

namespace Keel.Server.Query;

/// <summary>One enumeration of rows that fills one or more tables (each keeps the rows it includes).</summary>
internal interface IRowSource
{
    IReadOnlyList<ITableDefinition> Tables { get; }

    /// <summary>
    /// Fills the tables named in <paramref name="wanted"/> (lower case) in one pass over the rows,
    /// skipping the rows the filter among <paramref name="filters"/> that is about one of this source's
    /// tables lets go, and noting in <paramref name="sources"/> the ids loaded into a table another
    /// filter takes its ids from.
    /// </summary>
    /// <returns>How many source rows were read.</returns>
    long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, IReadOnlyList<LoadFilter> filters, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class RowSource<TRow>(Func<QuerySources, IEnumerable<TRow>> rows, params TableDefinition<TRow>[] tables) : IRowSource
{
    private const int CancellationCheckInterval = 1024;

    public IReadOnlyList<ITableDefinition> Tables { get; } = tables;

    /// <summary>
    /// A read of fewer rows than the scan for a filter (by key, by key prefix, by stored status) that still
    /// gives every row the filter keeps, in the scan's order; null (or a null answer) when there is none.
    /// </summary>
    public Func<QuerySources, LoadFilter, IEnumerable<TRow>?>? Narrowed { get; init; }

    /// <summary>The row columns a <see cref="LoadFilter"/> may name, by name.</summary>
    public IReadOnlyDictionary<string, Func<TRow, string?>> Filterable { get; init; } = new Dictionary<string, Func<TRow, string?>>();

    /// <summary>The row columns a <see cref="LoadFilter.OrderBy"/> may name, as the never-null value DuckDB orders them by.</summary>
    public IReadOnlyDictionary<string, Func<TRow, long>> Orderable { get; init; } = new Dictionary<string, Func<TRow, long>>();

    public long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, IReadOnlyList<LoadFilter> filters, CancellationToken cancellationToken)
    {
        var targets = tables.Where(t => wanted.Contains(t.Name)).ToArray();
        if (targets.Length == 0)
        {
            return 0;
        }

        var filter = Resolve(filters.FirstOrDefault(f => tables.Any(t => t.Name == f.Table)), sources);
        var keep = filter is null ? null : Keep(filter);
        var limited = filter?.Limit is { } limit ? (Index: Array.FindIndex(targets, t => t.Name == filter.Table), Limit: limit) : (Index: -1, Limit: 0L);
        TopRows<TRow>? top = null;
        if (filter?.OrderBy is { } order && limited.Index >= 0)
        {
            // The first rows in an order the source cannot follow are not the first read: no limit then.
            top = Orderable.TryGetValue(order.Column, out var key) && targets[limited.Index].Include is null
                ? new TopRows<TRow>(limited.Limit, key, order.Descending)
                : null;
            limited = (-1, 0);
        }

        // The ids loaded into a table that another table's filter takes its ids from.
        var noted = filters.Select(f => f.IdsLoadedInto).OfType<string>().FirstOrDefault(t => targets.Any(target => target.Name == t));
        var notedIndex = noted is null ? -1 : Array.FindIndex(targets, t => t.Name == noted);
        var ids = notedIndex >= 0 && Filterable.TryGetValue(LoadFilter.Id, out var idOf) ? (Of: idOf, Loaded: new HashSet<string>(StringComparer.Ordinal)) : default;

        var appenders = new DuckDBAppender[targets.Length];
        try
        {
            for (var i = 0; i < targets.Length; i++)
            {
                appenders[i] = connection.CreateAppender(targets[i].Name);
            }

            long appendedToLimited = 0;
            void Append(TRow row)
            {
                for (var i = 0; i < targets.Length; i++)
                {
                    if (targets[i].Include is not { } include || include(row))
                    {
                        targets[i].Append(appenders[i], row);
                        if (i == limited.Index)
                        {
                            appendedToLimited++;
                        }

                        if (i == notedIndex && ids.Of?.Invoke(row) is { } id)
                        {
                            ids.Loaded.Add(id);
                        }
                    }
                }
            }

            long count = 0;
            if (!(limited.Index >= 0 && limited.Limit == 0))
            {
                var source = (filter is null ? null : Narrowed?.Invoke(sources, filter)) ?? rows(sources);
                foreach (var row in source)
                {
                    if (++count % CancellationCheckInterval == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    if (keep is not null && !keep(row))
                    {
                        continue;
                    }

                    if (top is not null)
                    {
                        top.Offer(row);
                        continue;
                    }

                    Append(row);

                    // Stop before reading another row: with a lazy scan, that is where the time goes.
                    if (limited.Index >= 0 && appendedToLimited >= limited.Limit)
                    {
                        break;
                    }
                }
            }

            foreach (var row in top?.Rows() ?? [])
            {
                Append(row);
            }

            if (ids.Loaded is not null)
            {
                sources.LoadedIds[noted!] = ids.Loaded;
            }

            return count;
        }
        finally
        {
            foreach (var appender in appenders)
            {
                appender?.Dispose();
            }
        }
    }

    /// <summary>
    /// The filter with its ids taken from the table it names, once that table is loaded (without them,
    /// e.g. when that table was not filled before this one, it only narrows by its other conditions).
    /// </summary>
    private static LoadFilter? Resolve(LoadFilter? filter, QuerySources sources)
    {
        if (filter?.IdsLoadedInto is not { } table)
        {
            return filter;
        }

        if (!sources.LoadedIds.TryGetValue(table, out var loaded))
        {
            return filter with { IdsLoadedInto = null };
        }

        var equal = new Dictionary<string, IReadOnlySet<string>>(filter.Equal, StringComparer.Ordinal)
        {
            [LoadFilter.Id] = filter.Ids is { } ids ? new HashSet<string>(ids.Intersect(loaded), StringComparer.Ordinal) : loaded,
        };
        return filter with { Equal = equal, IdsLoadedInto = null };
    }

    /// <summary>Whether a row can satisfy every condition of <paramref name="filter"/> (a column it does not know keeps every row).</summary>
    private Func<TRow, bool> Keep(LoadFilter filter)
    {
        var checks = filter.Equal.Keys.Concat(filter.NotEqual.Keys).Distinct()
            .Where(Filterable.ContainsKey)
            .Select(column => (Column: column, Value: Filterable[column]))
            .ToArray();
        return row => checks.All(c => filter.Allows(c.Column, c.Value(row)));
    }
}
