using DuckDB.NET.Data;

namespace Keel.Server.Query;

/// <summary>One enumeration of rows that fills one or more tables (each keeps the rows it includes).</summary>
internal interface IRowSource
{
    IReadOnlyList<ITableDefinition> Tables { get; }

    /// <summary>Fills the tables named in <paramref name="wanted"/> (lower case) in one pass over the rows.</summary>
    /// <returns>How many source rows were read.</returns>
    long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, CancellationToken cancellationToken);
}

/// <inheritdoc />
internal sealed class RowSource<TRow>(Func<QuerySources, IEnumerable<TRow>> rows, params TableDefinition<TRow>[] tables) : IRowSource
{
    private const int CancellationCheckInterval = 1024;

    public IReadOnlyList<ITableDefinition> Tables { get; } = tables;

    public long Fill(DuckDBConnection connection, QuerySources sources, IReadOnlySet<string> wanted, CancellationToken cancellationToken)
    {
        var targets = tables.Where(t => wanted.Contains(t.Name)).ToArray();
        if (targets.Length == 0)
        {
            return 0;
        }

        var appenders = new DuckDBAppender[targets.Length];
        try
        {
            for (var i = 0; i < targets.Length; i++)
            {
                appenders[i] = connection.CreateAppender(targets[i].Name);
            }

            long count = 0;
            foreach (var row in rows(sources))
            {
                if (++count % CancellationCheckInterval == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                for (var i = 0; i < targets.Length; i++)
                {
                    if (targets[i].Include is not { } include || include(row))
                    {
                        targets[i].Append(appenders[i], row);
                    }
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
}
