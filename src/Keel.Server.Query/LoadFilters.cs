using System.Globalization;

namespace Keel.Server.Query;

/// <summary>
/// Finds what a query lets the load skip (<see cref="LoadFilter"/>s), so that the queries the web console
/// and the CLI send — one invocation, its journal, the unfinished invocations, one object's state, a
/// page of the newest invocations — do not copy every invocation and journal into DuckDB. DuckDB still
/// runs the whole query on what is loaded, so this only has to be safe, never complete: whenever the
/// query's shape is not plainly understood, nothing is skipped. What is understood:
/// <list type="bullet">
/// <item>one statement <c>SELECT … FROM t [[AS] alias] [WHERE …] [GROUP BY/ORDER BY/… ] [LIMIT n]</c> over one
/// table or view <c>t</c> that the query names nowhere else (no join, no set operation, no derived
/// table, no subquery over the same rows);</item>
/// <item>in its WHERE, the top-level AND-ed conditions <c>column = 'text'</c> (or <c>==</c>), <c>column IN ('text', …)</c>,
/// <c>column &lt;&gt; 'text'</c> (or <c>!=</c>) and <c>column NOT IN ('text', …)</c> on the columns listed in
/// <see cref="Tables"/>; other conditions are left to DuckDB, and a WHERE with a top-level OR, CASE or
/// BETWEEN gives no filter at all (its ANDs do not separate conditions);</item>
/// <item>over <c>sys_journal</c>, a top-level condition <c>id IN (SELECT id FROM</c> an invocation table or the
/// view <c>[WHERE …])</c> (the console's calls of unfinished invocations): the invocation table is loaded
/// with the subquery's own conditions, and the journal only for the invocations loaded;</item>
/// <item><c>LIMIT n</c> at the very end, when the query has no parentheses besides those
/// conditions (so no aggregate, window function or subquery), no DISTINCT, GROUP BY, HAVING or OFFSET,
/// and every condition of its WHERE was taken over exactly: then any n rows the WHERE keeps are an
/// answer, and the load stops after n. With <c>ORDER BY column [ASC|DESC] LIMIT n</c> on a column of
/// <see cref="Pushable.Orderable"/> (that the select list does not rename), the load keeps the first n
/// rows in that order, and every row tied with the n-th, instead.</item>
/// </list>
/// </summary>
internal static class LoadFilters
{
    /// <summary>What a condition on a column lets the load keep: the row values that can satisfy it, and whether exactly those do.</summary>
    private delegate (string[] Values, bool Exact)? Translate(string literal);

    /// <param name="LoadedTable">The table whose rows the filter is about (for the view, its status table).</param>
    /// <param name="Columns">The columns whose conditions are taken over, and how a literal maps to row values.</param>
    /// <param name="Orderable">Columns the load can pick the first rows by (never null in any row).</param>
    private sealed record Pushable(string LoadedTable, IReadOnlyDictionary<string, Translate> Columns, IReadOnlySet<string>? Orderable = null);

    private static readonly Translate Same = literal => ([literal], true);

    private static readonly IReadOnlySet<string> InvocationTimes = new HashSet<string>(StringComparer.Ordinal) { "created_at", "modified_at" };

    private static Dictionary<string, Translate> SameFor(params string[] columns) => columns.ToDictionary(c => c, _ => Same, StringComparer.Ordinal);

    /// <summary>
    /// The tables and columns conditions are taken from. A column maps to the row column of the same
    /// name; the view's <c>status</c> is derived from the stored one (see <see cref="InvocationTables"/>),
    /// so it maps to the stored statuses it can come from.
    /// </summary>
    private static readonly Dictionary<string, Pushable> Tables = new(StringComparer.Ordinal)
    {
        [InvocationTables.StatusTable] = new(InvocationTables.StatusTable,
            SameFor(LoadFilter.Id, "status", "target", "target_service_name", "target_service_key", "target_handler_name"), InvocationTimes),
        [InvocationTables.StateTable] = new(InvocationTables.StateTable, SameFor(LoadFilter.Id)),
        [InvocationTables.View] = new(InvocationTables.StatusTable, new Dictionary<string, Translate>(
            SameFor(LoadFilter.Id, "target", "target_service_name", "target_service_key", "target_handler_name"), StringComparer.Ordinal)
        {
            ["status"] = ViewStatus,
        }, InvocationTimes),
        [IntrospectionCatalog.JournalTable] = new(IntrospectionCatalog.JournalTable, SameFor(LoadFilter.Id)),
        [IntrospectionCatalog.StateTable] = new(IntrospectionCatalog.StateTable, SameFor("service_name", "service_key", "key")),
        [IntrospectionCatalog.InboxTable] = new(IntrospectionCatalog.InboxTable, SameFor("service_name", "service_key", LoadFilter.Id)),
        [IntrospectionCatalog.PromiseTable] = new(IntrospectionCatalog.PromiseTable, SameFor("service_name", "service_key", "key")),
        [IntrospectionCatalog.IdempotencyTable] = new(IntrospectionCatalog.IdempotencyTable,
            SameFor("service_name", "service_key", "service_handler", "idempotency_key", "invocation_id")),
    };

    /// <summary>Names that read the same rows: a query naming two of them (or one twice) gets no filter for them.</summary>
    private static readonly string[][] SameRows =
    [
        [InvocationTables.View, InvocationTables.StatusTable, InvocationTables.StateTable], [IntrospectionCatalog.JournalTable],
        [IntrospectionCatalog.StateTable], [IntrospectionCatalog.InboxTable], [IntrospectionCatalog.PromiseTable], [IntrospectionCatalog.IdempotencyTable],
    ];

    private static readonly HashSet<string> AfterWhere = new(StringComparer.OrdinalIgnoreCase)
    {
        "group", "order", "limit", "having", "qualify", "window", "offset",
    };

    /// <summary>The filters <paramref name="tokens"/> of <paramref name="sql"/> allow (at most one per table); none loads everything.</summary>
    public static IReadOnlyList<LoadFilter> Of(string sql, IReadOnlyList<SqlToken> tokens)
    {
        var end = tokens.Count;
        while (end > 0 && tokens[end - 1].IsSymbol(sql, ';'))
        {
            end--;
        }

        if (end == 0 || !tokens[0].IsWord(sql, "select"))
        {
            return [];
        }

        var query = new Query(sql, tokens, Depths(sql, tokens, end), end);
        var filters = new List<LoadFilter>();
        if (Select(query, 0, end, outermost: true, filters) is { Narrows: true } filter)
        {
            filters.Insert(0, filter);
        }

        return filters;
    }

    /// <summary>The tokens of the whole statement, their parenthesis depths, and where the statement ends.</summary>
    private sealed record Query(string Sql, IReadOnlyList<SqlToken> Tokens, int[] Depth, int End);

    /// <summary>
    /// The filter of the <c>SELECT</c> in <paramref name="start"/>..<paramref name="end"/> (the whole statement,
    /// or a subquery's parentheses' content) for its table, or null when its shape is not understood.
    /// Filters for a subquery's table are added to <paramref name="others"/>.
    /// </summary>
    private static LoadFilter? Select(Query q, int start, int end, bool outermost, List<LoadFilter> others)
    {
        var (sql, tokens, depth) = (q.Sql, q.Tokens, q.Depth);
        var level = depth[start];
        var from = -1;
        for (var i = start; i < end; i++)
        {
            if (depth[i] != level)
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
        if (!Tables.TryGetValue(table, out var pushable) || !NamedOnce(q, table))
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

        var names = new Names(table, alias);
        var conditions = new Conditions();
        var whereEnd = next;
        if (next < end && tokens[next].IsWord(sql, "where"))
        {
            whereEnd = next + 1;
            while (whereEnd < end && !(depth[whereEnd] == level && tokens[whereEnd].Kind == SqlTokenKind.Word && AfterWhere.Contains(tokens[whereEnd].Text(sql))))
            {
                whereEnd++;
            }

            if (!Collect(q, next + 1, whereEnd, names, pushable, conditions, others))
            {
                return null;
            }
        }

        long? limit = null;
        LoadOrder? order = null;
        if (outermost && conditions.Exact && Limit(q, names, pushable, from, next, whereEnd) is var (n, by))
        {
            (limit, order) = (n, by);
        }

        return new LoadFilter(pushable.LoadedTable, conditions.Equal, limit)
        {
            NotEqual = conditions.NotEqual, OrderBy = order, IdsLoadedInto = conditions.IdsLoadedInto,
        };
    }

    /// <summary>The table a condition's column may be qualified with, under its name or its alias.</summary>
    private sealed record Names(string Table, string? Alias)
    {
        public bool Qualifies(string qualifier) => qualifier == Table || qualifier == Alias;
    }

    /// <summary>What a WHERE's understood conditions let the load skip, and whether they select exactly the rows the WHERE keeps.</summary>
    private sealed class Conditions
    {
        public Dictionary<string, IReadOnlySet<string>> Equal { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, IReadOnlySet<string>> NotEqual { get; } = new(StringComparer.Ordinal);

        public string? IdsLoadedInto { get; set; }

        public bool Exact { get; set; } = true;
    }

    /// <summary>
    /// The stored statuses a status of the view comes from: one each, but <c>running</c>,
    /// <c>backing-off</c> and <c>ready</c> all come from <c>invoked</c> (so keeping those is not exact,
    /// and leaving them out is not possible). Any other text is left to DuckDB.
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
    private static bool NamedOnce(Query q, string table)
    {
        var names = SameRows.First(group => group.Contains(table));
        var count = 0;
        for (var i = 0; i < q.End; i++)
        {
            if (SqlLexer.Identifier(q.Sql, q.Tokens[i]) is { } name && names.Contains(name.ToLowerInvariant()))
            {
                count++;
            }
        }

        return count == 1;
    }

    /// <summary>
    /// Collects the understood conditions between <paramref name="start"/> and <paramref name="stop"/>;
    /// false when the WHERE cannot be split into top-level conjuncts.
    /// </summary>
    private static bool Collect(Query q, int start, int stop, Names names, Pushable pushable, Conditions conditions, List<LoadFilter> others)
    {
        var (sql, tokens, depth) = (q.Sql, q.Tokens, q.Depth);
        var level = start < stop ? depth[start] : 0;
        for (var i = start; i < stop; i++)
        {
            if (depth[i] == level && (tokens[i].IsWord(sql, "or") || tokens[i].IsWord(sql, "case") || tokens[i].IsWord(sql, "between")))
            {
                return false;
            }
        }

        var pieceStart = start;
        for (var i = start; i <= stop; i++)
        {
            if (i < stop && !(depth[i] == level && tokens[i].IsWord(sql, "and")))
            {
                continue;
            }

            if (pushable.LoadedTable == IntrospectionCatalog.JournalTable && conditions.IdsLoadedInto is null
                && IdsOfSubquery(q, pieceStart, i, names, others) is { } loaded)
            {
                // Keeps a superset of the rows it passes (the subquery runs on what is loaded): not exact.
                conditions.IdsLoadedInto = loaded;
                conditions.Exact = false;
            }
            else if (Condition(q, pieceStart, i, names) is not var (column, negated, literals)
                || !pushable.Columns.TryGetValue(column, out var translate))
            {
                conditions.Exact = false;
            }
            else
            {
                Take(conditions, column, negated, literals, translate);
            }

            pieceStart = i + 1;
        }

        return true;
    }

    /// <summary>Adds one understood condition: the values it keeps (or leaves out), if its literals translate.</summary>
    private static void Take(Conditions conditions, string column, bool negated, List<string> literals, Translate translate)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var exact = true;
        foreach (var literal in literals)
        {
            if (translate(literal) is not var (kept, keptExact))
            {
                conditions.Exact = false;
                return;
            }

            values.UnionWith(kept);
            exact &= keptExact;
        }

        if (negated)
        {
            // Leaving rows out must be exact: an inexact value also stands for rows the condition keeps.
            if (!exact)
            {
                conditions.Exact = false;
                return;
            }

            conditions.NotEqual[column] = conditions.NotEqual.TryGetValue(column, out var excluded) ? [.. excluded.Union(values)] : values;
            return;
        }

        conditions.Exact &= exact;

        // Two conditions on one column must both hold.
        conditions.Equal[column] = conditions.Equal.TryGetValue(column, out var earlier) ? [.. earlier.Intersect(values)] : values;
    }

    /// <summary>
    /// A conjunct that is exactly <c>column = 'text'</c> (<c>==</c>), <c>column &lt;&gt; 'text'</c> (<c>!=</c>),
    /// <c>column IN ('text', …)</c> or <c>column NOT IN ('text', …)</c> (the column bare or qualified by the
    /// table or its alias), as the column, whether it excludes, and the texts; else null.
    /// </summary>
    private static (string Column, bool Negated, List<string> Literals)? Condition(Query q, int start, int stop, Names names)
    {
        var (sql, tokens) = (q.Sql, q.Tokens);
        if (Column(q, start, stop, names) is not var (column, i))
        {
            return null;
        }

        var literals = new List<string>();
        var negated = false;
        if (i + 1 < stop && Adjacent(tokens, i) && ((tokens[i].IsSymbol(sql, '<') && tokens[i + 1].IsSymbol(sql, '>')) || (tokens[i].IsSymbol(sql, '!') && tokens[i + 1].IsSymbol(sql, '='))))
        {
            negated = true;
            i += 2;
        }
        else if (i < stop && tokens[i].IsSymbol(sql, '='))
        {
            i += i + 1 < stop && tokens[i + 1].IsSymbol(sql, '=') ? 2 : 1;
        }
        else
        {
            if (i < stop && tokens[i].IsWord(sql, "not"))
            {
                negated = true;
                i++;
            }

            if (!(i + 1 < stop && tokens[i].IsWord(sql, "in") && tokens[i + 1].IsSymbol(sql, '(') && tokens[stop - 1].IsSymbol(sql, ')')))
            {
                return null;
            }

            for (var k = i + 2; k < stop - 1; k += 2)
            {
                if (Literal(sql, tokens[k]) is not { } item || !(tokens[k + 1].IsSymbol(sql, ',') || k + 1 == stop - 1))
                {
                    return null;
                }

                literals.Add(item);
            }

            return literals.Count == 0 ? null : (column, negated, literals);
        }

        if (i + 1 != stop || Literal(sql, tokens[i]) is not { } value)
        {
            return null;
        }

        literals.Add(value);
        return (column, negated, literals);
    }

    /// <summary>The column a conjunct starts with (bare or qualified by the table or its alias) and the index after it; else null.</summary>
    private static (string Column, int Next)? Column(Query q, int start, int stop, Names names)
    {
        var (sql, tokens) = (q.Sql, q.Tokens);
        var i = start;
        if (i + 2 < stop && tokens[i].Kind == SqlTokenKind.Word && tokens[i + 1].IsSymbol(sql, '.'))
        {
            if (!names.Qualifies(tokens[i].Text(sql).ToLowerInvariant()))
            {
                return null;
            }

            i += 2;
        }

        return i < stop && tokens[i].Kind == SqlTokenKind.Word ? (tokens[i].Text(sql).ToLowerInvariant(), i + 1) : null;
    }

    /// <summary>
    /// For a conjunct <c>id IN (SELECT id FROM t [alias] [WHERE …] …)</c> where <c>t</c> is an invocation table or
    /// the view: adds the subquery's filter for <c>t</c> to <paramref name="others"/> and returns the table
    /// whose loaded ids the outer rows need; else null.
    /// </summary>
    private static string? IdsOfSubquery(Query q, int start, int stop, Names names, List<LoadFilter> others)
    {
        var (sql, tokens, depth) = (q.Sql, q.Tokens, q.Depth);
        if (Column(q, start, stop, names) is not (LoadFilter.Id, var i)
            || !(i + 3 < stop && tokens[i].IsWord(sql, "in") && tokens[i + 1].IsSymbol(sql, '(') && tokens[i + 2].IsWord(sql, "select") && tokens[stop - 1].IsSymbol(sql, ')')))
        {
            return null;
        }

        // The parentheses must be one pair around all of the rest.
        var open = i + 1;
        for (var k = open + 1; k < stop - 1; k++)
        {
            if (depth[k] <= depth[open])
            {
                return null;
            }
        }

        var inner = new List<LoadFilter>();
        if (Select(q, open + 1, stop - 1, outermost: false, inner) is not { } filter || filter.Table != InvocationTables.StatusTable
            || !SelectsOnlyId(q, open + 1, stop - 1) || inner.Count > 0)
        {
            return null;
        }

        if (filter.Narrows)
        {
            others.Add(filter);
        }

        return filter.Table;
    }

    /// <summary>Whether the select list of the SELECT at <paramref name="start"/> is the one column <c>id</c> (maybe qualified).</summary>
    private static bool SelectsOnlyId(Query q, int start, int end)
    {
        var (sql, tokens) = (q.Sql, q.Tokens);
        var from = start + 1;
        while (from < end && !tokens[from].IsWord(sql, "from"))
        {
            from++;
        }

        return (from - start) switch
        {
            2 => tokens[start + 1].IsWord(sql, LoadFilter.Id),
            4 => tokens[start + 2].IsSymbol(sql, '.') && tokens[start + 3].IsWord(sql, LoadFilter.Id),
            _ => false,
        };
    }

    private static bool Adjacent(IReadOnlyList<SqlToken> tokens, int i) => tokens[i].End == tokens[i + 1].Start;

    /// <summary>The text of a plain <c>'…'</c> literal (a doubled quote is one quote), else null.</summary>
    private static string? Literal(string sql, SqlToken token) =>
        token.Kind == SqlTokenKind.String && sql[token.Start] == '\'' && token.Length >= 2 && sql[token.End - 1] == '\''
            ? sql.Substring(token.Start + 1, token.Length - 2).Replace("''", "'", StringComparison.Ordinal)
            : null;

    /// <summary>
    /// The query's final <c>LIMIT n</c>, with the order it picks the rows by when it has an <c>ORDER BY</c> the load can
    /// follow, when those are its answer's rows (see the class remarks); else null.
    /// </summary>
    private static (long Limit, LoadOrder? Order)? Limit(Query q, Names names, Pushable pushable, int from, int clauses, int whereEnd)
    {
        var (sql, tokens, depth, end) = (q.Sql, q.Tokens, q.Depth, q.End);
        if (end < 2 || !tokens[end - 2].IsWord(sql, "limit") || depth[end - 2] != 0
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

        if (end - 2 == whereEnd)
        {
            return (limit, null);
        }

        // ORDER BY column [ASC|DESC] [NULLS FIRST|LAST] LIMIT n: nothing else between the WHERE and the LIMIT.
        var k = whereEnd;
        if (!(k + 2 < end && tokens[k].IsWord(sql, "order") && tokens[k + 1].IsWord(sql, "by")) || pushable.Orderable is not { } orderable
            || Column(q, k + 2, end - 2, names) is not var (column, after) || !orderable.Contains(column))
        {
            return null;
        }

        var descending = false;
        if (after < end - 2 && (tokens[after].IsWord(sql, "asc") || tokens[after].IsWord(sql, "desc")))
        {
            descending = tokens[after].IsWord(sql, "desc");
            after++;
        }

        // The column is never null, so where nulls go does not matter.
        if (after + 1 < end - 2 && tokens[after].IsWord(sql, "nulls") && (tokens[after + 1].IsWord(sql, "first") || tokens[after + 1].IsWord(sql, "last")))
        {
            after += 2;
        }

        return after == end - 2 && !Renamed(q, from, column) ? (limit, new LoadOrder(column, descending)) : null;
    }

    /// <summary>
    /// Whether the select list (before <paramref name="from"/>) may give <paramref name="column"/> as the name of
    /// something else (ORDER BY prefers an output name): it may name the column only as an item of its own.
    /// </summary>
    private static bool Renamed(Query q, int from, string column)
    {
        var (sql, tokens) = (q.Sql, q.Tokens);
        var itemStart = 1;
        for (var i = 1; i <= from; i++)
        {
            if (i < from && !tokens[i].IsSymbol(sql, ','))
            {
                continue;
            }

            var mentions = false;
            for (var k = itemStart; k < i; k++)
            {
                mentions |= SqlLexer.Identifier(sql, tokens[k]) is { } name && name.Equals(column, StringComparison.OrdinalIgnoreCase);
            }

            var plain = i - itemStart == 1 || (i - itemStart == 3 && tokens[itemStart + 1].IsSymbol(sql, '.'));
            if (mentions && !(plain && tokens[i - 1].Kind == SqlTokenKind.Word))
            {
                return true;
            }

            itemStart = i + 1;
        }

        return false;
    }
}
