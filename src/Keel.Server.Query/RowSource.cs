using DuckDB.NET.Data;

namespace Keel.Server.Query;

/// <summary>One enumeration of rows that fills one or more tables (each keeps the rows it includes).</summary>
internal interface IRowSource
{
    IReadOnlyList<ITableDefinition> Tables { get; }

    /// <summary>
    /// Fills the tables named in <paramref name="wanted"/> (lower case) in one pass over the rows,
    /// skipping the rows <paramref name="filter"/> lets go when it is about one of this source's tables.
    /// </summary>
    /// <returns>How many source rows were read.</returns>
    long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, LoadFilter? filter, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class RowSource<TRow>(Func<QuerySources, IEnumerable<TRow>> rows, params TableDefinition<TRow>[] tables) : IRowSource
{
    private const int CancellationCheckInterval = 1024;

    public IReadOnlyList<ITableDefinition> Tables { get; } = tables;

    /// <summary>Reads only the rows of the given ids (by key, not by a scan); null when the source cannot.</summary>
    public Func<QuerySources, IReadOnlyCollection<string>, IEnumerable<TRow>>? ByIds { get; init; }

    /// <summary>The row columns a <see cref="LoadFilter"/> may name, by name.</summary>
    public IReadOnlyDictionary<string, Func<TRow, string?>> Filterable { get; init; } = new Dictionary<string, Func<TRow, string?>>();

    public long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, LoadFilter? filter, CancellationToken cancellationToken)
    {
        var targets = tables.Where(t => wanted.Contains(t.Name)).ToArray();
        if (targets.Length == 0)
        {
            return 0;
        }

        if (filter is not null && !tables.Any(t => t.Name == filter.Table))
        {
            filter = null;
        }

        var keep = filter is null ? null : Keep(filter);
        var limited = filter?.Limit is { } limit ? (Index: Array.FindIndex(targets, t => t.Name == filter.Table), Limit: limit) : (Index: -1, Limit: 0L);
        var appenders = new DuckDBAppender[targets.Length];
        try
        {
            for (var i = 0; i < targets.Length; i++)
            {
                appenders[i] = connection.CreateAppender(targets[i].Name);
            }

            long count = 0;
            long appendedToLimited = 0;
            var source = filter?.Ids is { } ids && ByIds is { } byIds ? byIds(sources, ids) : rows(sources);
            if (limited.Index >= 0 && limited.Limit == 0)
            {
                return 0;
            }

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

                for (var i = 0; i < targets.Length; i++)
                {
                    if (targets[i].Include is not { } include || include(row))
                    {
                        targets[i].Append(appenders[i], row);
                        if (i == limited.Index)
                        {
                            appendedToLimited++;
                        }
                    }
                }

                // Stop before reading another row: with a lazy scan, that is where the time goes.
                if (limited.Index >= 0 && appendedToLimited >= limited.Limit)
                {
                    break;
                }
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

    /// <summary>Whether a row can satisfy every condition of <paramref name="filter"/> (a column it does not know keeps every row).</summary>
    private Func<TRow, bool> Keep(LoadFilter filter)
    {
        var checks = filter.Equal
            .Where(c => Filterable.ContainsKey(c.Key))
            .Select(c => (Value: Filterable[c.Key], Allowed: c.Value))
            .ToArray();
        return row => checks.All(c => c.Value(row) is { } value && c.Allowed.Contains(value));
    }
}
