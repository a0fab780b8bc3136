using System.Globalization;

namespace Keel.Server.Query;

/// <summary>
/// Finds what a query lets the load skip (a <see cref="LoadFilter"/>), so that a query about one
/// invocation, which the web console repeats every two seconds, does not copy every invocation and
/// journal into DuckDB. DuckDB still runs the whole query on what is loaded, so this only has to be
/// safe, never complete: whenever the query's shape is not plainly understood, nothing is skipped.
/// What is understood:
/// <list type="bullet">
/// <item>one statement <c>SELECT … FROM t [[AS] alias] [WHERE …] [GROUP BY/ORDER BY/… ] [LIMIT n]</c> over one
/// table or view <c>t</c> that the query names nowhere else (no join, no set operation, no derived
/// table, no subquery over the same rows);</item>
/// <item>in its WHERE, the top-level AND-ed conditions <c>column = 'text'</c> (or <c>==</c>) and
/// <c>column IN ('text', …)</c> on the columns listed in <see cref="Tables"/>; other conditions are left
/// to DuckDB, and a WHERE with a top-level OR, CASE or BETWEEN gives no filter at all (its ANDs do not
/// separate conditions);</item>
/// <item><c>LIMIT n</c> at the very end, on a table (not the <c>sys_invocation</c> view), when the query has no parentheses besides those
/// conditions (so no aggregate, window function or subquery), no DISTINCT, GROUP BY, HAVING, ORDER BY
/// or OFFSET, and every condition of its WHERE was taken over exactly: then its first n rows are the
/// first n loaded.</item>
/// </list>
/// </summary>
internal static class LoadFilters
{
    /// <summary>What a condition on a column lets the load keep: the row values that can satisfy it, and whether exactly those do.</summary>
    private delegate (string[] Values, bool Exact)? Translate(string literal);

    /// <param name="LimitTable">The table whose loaded rows a limit counts, or null when a limit cannot be pushed:
    /// the view is a join, whose rows DuckDB does not give in the order they were loaded.</param>
    private sealed record Pushable(string LoadedTable, string? LimitTable, IReadOnlyDictionary<string, Translate> Columns);

    private static readonly Translate Same = literal => ([literal], true);

    /// <summary>
    /// The tables and columns conditions are taken from. A column maps to the row column of the same
    /// name; the view's <c>status</c> is derived from the stored one (see <see cref="InvocationTables"/>),
    /// so it maps to the stored statuses it can come from.
    /// </summary>
    private static readonly Dictionary<string, Pushable> Tables = new(StringComparer.Ordinal)
    {
        [InvocationTables.StatusTable] = new(InvocationTables.StatusTable, InvocationTables.StatusTable, new Dictionary<string, Translate>
        {
            [LoadFilter.Id] = Same, ["status"] = Same, ["target"] = Same, ["target_service_name"] = Same,
        }),
        [InvocationTables.StateTable] = new(InvocationTables.StateTable, InvocationTables.StateTable, new Dictionary<string, Translate> { [LoadFilter.Id] = Same }),
        [InvocationTables.View] = new(InvocationTables.StatusTable, null, new Dictionary<string, Translate>
        {
            [LoadFilter.Id] = Same, ["status"] = ViewStatus, ["target"] = Same, ["target_service_name"] = Same,
        }),
        [IntrospectionCatalog.JournalTable] = new(IntrospectionCatalog.JournalTable, IntrospectionCatalog.JournalTable, new Dictionary<string, Translate> { [LoadFilter.Id] = Same }),
    };

    /// <summary>Names that read the same rows: a query naming two of them gets no filter.</summary>
    private static readonly string[][] SameRows =
        [[InvocationTables.View, InvocationTables.StatusTable, InvocationTables.StateTable], [IntrospectionCatalog.JournalTable]];

    private static readonly HashSet<string> AfterWhere = new(StringComparer.OrdinalIgnoreCase)
    {
        "group", "order", "limit", "having", "qualify", "window", "offset",
    };

    /// <summary>The filter <paramref name="tokens"/> of <paramref name="sql"/> allow, or null to load everything.</summary>
    public static LoadFilter? Of(string sql, IReadOnlyList<SqlToken> tokens)
    {
        var end = tokens.Count;
        while (end > 0 && tokens[end - 1].IsSymbol(sql, ';'))
        {
            end--;
        }

        if (end == 0 || !tokens[0].IsWord(sql, "select"))
        {
            return null;
        }

        var depth = Depths(sql, tokens, end);
        var from = -1;
        for (var i = 0; i < end; i++)
        {
            if (depth[i] != 0)
            {
                continue;
            }

            if (tokens[i].IsWord(sql, "union") || tokens[i].IsWord(sql, "except") || tokens[i].IsWord(sql, "intersect"))
            {
                return null;
            }

            if (tokens[i].IsWord(sql, "from"))
            {
                if (from >= 0)
                {
                    return null;
                }

                from = i;
            }
        }

        if (from < 0 || from + 1 >= end || tokens[from + 1].Kind != SqlTokenKind.Word)
        {
            return null;
        }

        var table = tokens[from + 1].Text(sql).ToLowerInvariant();
        if (!Tables.TryGetValue(table, out var pushable) || !NamedOnce(sql, tokens, end, table))
        {
            return null;
        }

        // The table may be followed by an alias, then the next clause or the end; anything else (a
        // comma, a join, a sample) means more than one table or something not understood.
        var next = from + 2;
        string? alias = null;
        if (next < end && tokens[next].IsWord(sql, "as"))
        {
            next++;
        }

        if (next < end && tokens[next].Kind == SqlTokenKind.Word && !tokens[next].IsWord(sql, "where") && !AfterWhere.Contains(tokens[next].Text(sql)))
        {
            alias = tokens[next].Text(sql).ToLowerInvariant();
            next++;
        }

        if (next < end && !tokens[next].IsWord(sql, "where") && !AfterWhere.Contains(tokens[next].Text(sql)))
        {
            return null;
        }

        var equal = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        var whereExact = true;
        var whereEnd = next;
        if (next < end && tokens[next].IsWord(sql, "where"))
        {
            whereEnd = next + 1;
            while (whereEnd < end && !(depth[whereEnd] == 0 && tokens[whereEnd].Kind == SqlTokenKind.Word && AfterWhere.Contains(tokens[whereEnd].Text(sql))))
            {
                whereEnd++;
            }

            if (!Conditions(sql, tokens, depth, next + 1, whereEnd, table, alias, pushable, equal, out whereExact))
            {
                return null;
            }
        }

        var limit = whereExact && pushable.LimitTable is not null ? Limit(sql, tokens, depth, next, whereEnd, end) : null;
        return equal.Count == 0 && limit is null ? null : new LoadFilter(pushable.LoadedTable, equal, limit);
    }

    /// <summary>
    /// The stored statuses a status of the view comes from: one each, but <c>running</c>,
    /// <c>backing-off</c> and <c>ready</c> all come from <c>invoked</c> (so keeping those is not exact).
    /// Any other text is left to DuckDB.
    /// </summary>
    private static (string[] Values, bool Exact)? ViewStatus(string literal) => literal switch
    {
        "pending" => (["inboxed"], true),
        "scheduled" or "suspended" or "paused" or "completed" => ([literal], true),
        "running" or "backing-off" or "ready" => (["invoked"], false),
        _ => null,
    };

    /// <summary>Parenthesis depth before each token.</summary>
    private static int[] Depths(string sql, IReadOnlyList<SqlToken> tokens, int end)
    {
        var depth = new int[end];
        var current = 0;
        for (var i = 0; i < end; i++)
        {
            if (tokens[i].IsSymbol(sql, ')'))
            {
                current--;
            }

            depth[i] = current;
            if (tokens[i].IsSymbol(sql, '('))
            {
                current++;
            }
        }

        return depth;
    }

    /// <summary>Whether the query names <paramref name="table"/>, and every other name for its rows, once in all.</summary>
    private static bool NamedOnce(string sql, IReadOnlyList<SqlToken> tokens, int end, string table)
    {
        var names = SameRows.First(group => group.Contains(table));
        var count = 0;
        for (var i = 0; i < end; i++)
        {
            if (SqlLexer.Identifier(sql, tokens[i]) is { } name && names.Contains(name.ToLowerInvariant()))
            {
                count++;
            }
        }

        return count == 1;
    }

    /// <summary>
    /// Collects the understood conditions between <paramref name="start"/> and <paramref name="stop"/>;
    /// false when the WHERE cannot be split into top-level conjuncts. <paramref name="exact"/> tells
    /// whether the collected values select exactly the rows the WHERE keeps.
    /// </summary>
    private static bool Conditions(
        string sql, IReadOnlyList<SqlToken> tokens, int[] depth, int start, int stop, string table, string? alias,
        Pushable pushable, Dictionary<string, IReadOnlySet<string>> equal, out bool exact)
    {
        exact = true;
        for (var i = start; i < stop; i++)
        {
            if (depth[i] == 0 && (tokens[i].IsWord(sql, "or") || tokens[i].IsWord(sql, "case") || tokens[i].IsWord(sql, "between")))
            {
                return false;
            }
        }

        var pieceStart = start;
        for (var i = start; i <= stop; i++)
        {
            if (i < stop && !(depth[i] == 0 && tokens[i].IsWord(sql, "and")))
            {
                continue;
            }

            if (Condition(sql, tokens, pieceStart, i, table, alias) is not var (column, literals)
                || !pushable.Columns.TryGetValue(column, out var translate))
            {
                exact = false;
            }
            else
            {
                var values = new HashSet<string>(StringComparer.Ordinal);
                foreach (var literal in literals)
                {
                    if (translate(literal) is not var (kept, keptExact))
                    {
                        values = null;
                        break;
                    }

                    values.UnionWith(kept);
                    exact &= keptExact;
                }

                if (values is null)
                {
                    exact = false;
                }
                else
                {
                    // Two conditions on one column must both hold.
                    equal[column] = equal.TryGetValue(column, out var earlier) ? [.. earlier.Intersect(values)] : values;
                }
            }

            pieceStart = i + 1;
        }

        return true;
    }

    /// <summary>
    /// A conjunct that is exactly <c>column = 'text'</c>, <c>column == 'text'</c> or <c>column IN ('text', …)</c>
    /// (the column bare or qualified by the table or its alias), as the column and the texts; else null.
    /// </summary>
    private static (string Column, List<string> Literals)? Condition(string sql, IReadOnlyList<SqlToken> tokens, int start, int stop, string table, string? alias)
    {
        var i = start;
        if (i + 2 < stop && tokens[i].Kind == SqlTokenKind.Word && tokens[i + 1].IsSymbol(sql, '.'))
        {
            var qualifier = tokens[i].Text(sql).ToLowerInvariant();
            if (qualifier != table && qualifier != alias)
            {
                return null;
            }

            i += 2;
        }

        if (i >= stop || tokens[i].Kind != SqlTokenKind.Word)
        {
            return null;
        }

        var column = tokens[i].Text(sql).ToLowerInvariant();
        i++;
        var literals = new List<string>();
        if (i < stop && tokens[i].IsSymbol(sql, '='))
        {
            i += i + 1 < stop && tokens[i + 1].IsSymbol(sql, '=') ? 2 : 1;
            if (i + 1 != stop || Literal(sql, tokens[i]) is not { } value)
            {
                return null;
            }

            literals.Add(value);
            return (column, literals);
        }

        if (!(i + 1 < stop && tokens[i].IsWord(sql, "in") && tokens[i + 1].IsSymbol(sql, '(') && tokens[stop - 1].IsSymbol(sql, ')')))
        {
            return null;
        }

        for (var k = i + 2; k < stop - 1; k += 2)
        {
            if (Literal(sql, tokens[k]) is not { } value || !(tokens[k + 1].IsSymbol(sql, ',') || k + 1 == stop - 1))
            {
                return null;
            }

            literals.Add(value);
        }

        return literals.Count == 0 ? null : (column, literals);
    }

    /// <summary>The text of a plain <c>'…'</c> literal (a doubled quote is one quote), else null.</summary>
    private static string? Literal(string sql, SqlToken token) =>
        token.Kind == SqlTokenKind.String && sql[token.Start] == '\'' && token.Length >= 2 && sql[token.End - 1] == '\''
            ? sql.Substring(token.Start + 1, token.Length - 2).Replace("''", "'", StringComparison.Ordinal)
            : null;

    /// <summary>The query's final <c>LIMIT n</c> when its first n rows are the first n loaded (see the class remarks), else null.</summary>
    private static long? Limit(string sql, IReadOnlyList<SqlToken> tokens, int[] depth, int clauses, int whereEnd, int end)
    {
        if (end < 2 || !tokens[end - 2].IsWord(sql, "limit") || depth[end - 2] != 0 || end - 2 != whereEnd
            || !long.TryParse(tokens[end - 1].Text(sql), NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            return null;
        }

        for (var i = 0; i < end; i++)
        {
            var inWhere = i > clauses && i < whereEnd;
            if (tokens[i].IsWord(sql, "distinct") || (!inWhere && tokens[i].IsSymbol(sql, '(')))
            {
                return null;
            }
        }

        return limit;
    }
}
