using System.Text;

namespace Keel.Server.Query;

/// <summary>
/// A query ready for DuckDB: its (adapted) text, the identifiers it names, in lower case, and what
/// its load may skip (at most one filter per table; none: nothing).
/// </summary>
internal sealed record PreparedSql(string Text, IReadOnlySet<string> Names, IReadOnlyList<LoadFilter> Filters);

/// <summary>
/// The one place where SQL written for Restate's query engine (DataFusion) is adapted to DuckDB. The
/// Restate CLI and web UI send DataFusion SQL; DuckDB reads nearly all of it as is. What it reads
/// differently is rewritten here, on tokens, so that string literals, quoted identifiers and comments
/// are never touched and everything else keeps its exact text:
/// <list type="number">
/// <item><b>Unaliased derived tables.</b> <c>SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 50000) WHERE inv.status …</c>:
/// DataFusion lets the outer query use the inner table's alias; DuckDB does not. A derived table in a
/// FROM or JOIN that has no alias of its own gets the alias of its inner query's first table
/// (<c>… LIMIT 50000) AS inv WHERE …</c>).</item>
/// <item><b><c>first_value</c>/<c>last_value</c> as aggregates.</b> DataFusion has them as aggregate functions
/// (<c>FIRST_VALUE(id ORDER BY created_at ASC)</c> with GROUP BY); in DuckDB they are window functions only.
/// Without an OVER clause they become DuckDB's aggregates <c>first</c>/<c>last</c>, which take the same
/// arguments, ORDER BY included.</item>
/// <item><b>MySQL-style unsigned types.</b> <c>CAST(1 as INT UNSIGNED)</c> becomes <c>CAST(1 as UINTEGER)</c>
/// (likewise BIGINT, SMALLINT and TINYINT).</item>
/// </list>
/// Everything else the CLI sends (<c>==</c>, <c>!=</c>, <c>STRING</c>, <c>index</c>/<c>key</c>/<c>value</c> as
/// column names, a trailing <c>;</c>) DuckDB accepts unchanged. A text with more than one statement is refused.
/// </summary>
internal static class SqlDialect
{
    /// <summary>Words that, right after a derived table's closing parenthesis, start the next clause rather than name the table.</summary>
    private static readonly HashSet<string> ClauseWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "where", "group", "order", "limit", "offset", "having", "union", "except", "intersect", "join", "left",
        "right", "inner", "full", "cross", "outer", "natural", "on", "using", "window", "qualify", "fetch", "asof",
        "positional", "anti", "semi", "select", "from", "with", "and", "or", "not", "in", "is", "tablesample",
        "using", "pivot", "unpivot", "returning", "values", "lateral", "into", "set",
    };

    private static readonly Dictionary<string, string> UnsignedTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["int"] = "UINTEGER",
        ["integer"] = "UINTEGER",
        ["bigint"] = "UBIGINT",
        ["smallint"] = "USMALLINT",
        ["tinyint"] = "UTINYINT",
    };

    /// <exception cref="QueryException">400: the text is empty, holds more than one statement or does not begin with a keyword DuckDB can read.</exception>
    public static PreparedSql Prepare(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = SqlLexer.Tokenize(sql);
        if (tokens.All(t => t.IsSymbol(sql, ';')))
        {
            throw new QueryException(400, "The query is empty.");
        }

        // DuckDB takes the text as a C string: a NUL would end it early (and DuckDB then fails to say why).
        if (sql.Contains('\0', StringComparison.Ordinal))
        {
            throw new QueryException(400, "The query contains a NUL character (\\u0000); SQL text cannot hold one.");
        }

        // A statement begins with a keyword. DuckDB fails to report its syntax error for one that begins with
        // text beyond ASCII (its error is "External component has thrown an exception."): say it here.
        var first = tokens.First(t => !t.IsSymbol(sql, ';'));
        if (first.Kind is SqlTokenKind.Word or SqlTokenKind.Symbol && !Ascii.IsValid(first.Text(sql)))
        {
            throw new QueryException(400, $"Parser Error: syntax error at or near \"{first.Text(sql)}\": a statement begins with a keyword such as SELECT.");
        }

        var lastStatementEnd = tokens.FindIndex(t => t.IsSymbol(sql, ';'));
        if (lastStatementEnd >= 0 && tokens.Skip(lastStatementEnd).Any(t => !t.IsSymbol(sql, ';')))
        {
            throw new QueryException(400, "Only one SQL statement per query is supported.");
        }

        var edits = new List<(int Start, int Length, string Text)>();
        AliasDerivedTables(sql, tokens, edits);
        AggregateFirstValue(sql, tokens, edits);
        UnsignedTypeNames(sql, tokens, edits);

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in tokens)
        {
            if (SqlLexer.Identifier(sql, token) is { } name)
            {
                names.Add(name.ToLowerInvariant());
            }
        }

        return new PreparedSql(Apply(sql, edits), names, LoadFilters.Of(sql, tokens));
    }

    /// <summary>Adapts the text only (see <see cref="Prepare"/>).</summary>
    public static string Adapt(string sql) => Prepare(sql).Text;

    private static void AliasDerivedTables(string sql, List<SqlToken> tokens, List<(int, int, string)> edits)
    {
        for (var k = 1; k + 1 < tokens.Count; k++)
        {
            if (!tokens[k].IsSymbol(sql, '(')
                || !(tokens[k - 1].IsWord(sql, "from") || tokens[k - 1].IsWord(sql, "join"))
                || !(tokens[k + 1].IsWord(sql, "select") || tokens[k + 1].IsWord(sql, "with")))
            {
                continue;
            }

            var close = MatchingParenthesis(sql, tokens, k);
            if (close < 0 || HasAlias(sql, tokens, close + 1))
            {
                continue;
            }

            if (InnerAlias(sql, tokens, k + 1, close) is { } alias)
            {
                edits.Add((tokens[close].End, 0, " AS " + alias));
            }
        }
    }

    /// <summary>Whether the token at <paramref name="index"/> names the derived table before it.</summary>
    private static bool HasAlias(string sql, List<SqlToken> tokens, int index) =>
        index < tokens.Count && (tokens[index].Kind == SqlTokenKind.QuotedIdentifier
            || (tokens[index].Kind == SqlTokenKind.Word && !ClauseWords.Contains(tokens[index].Text(sql))));

    /// <summary>The alias of the first table in the top-level FROM between <paramref name="from"/> and <paramref name="to"/>.</summary>
    private static string? InnerAlias(string sql, List<SqlToken> tokens, int from, int to)
    {
        var depth = 0;
        for (var j = from; j < to; j++)
        {
            if (tokens[j].IsSymbol(sql, '('))
            {
                depth++;
            }
            else if (tokens[j].IsSymbol(sql, ')'))
            {
                depth--;
            }
            else if (depth == 0 && tokens[j].IsWord(sql, "from"))
            {
                var t = j + 1;
                if (t >= to || tokens[t].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
                {
                    return null;
                }

                while (t + 2 < to && tokens[t + 1].IsSymbol(sql, '.') && tokens[t + 2].Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier)
                {
                    t += 2;
                }

                var a = t + 1;
                if (a < to && tokens[a].IsWord(sql, "as"))
                {
                    a++;
                }

                return a < to && HasAlias(sql, tokens, a) ? tokens[a].Text(sql) : null;
            }
        }

        return null;
    }

    private static void AggregateFirstValue(string sql, List<SqlToken> tokens, List<(int, int, string)> edits)
    {
        for (var k = 0; k + 1 < tokens.Count; k++)
        {
            var replacement = tokens[k].IsWord(sql, "first_value") ? "first" : tokens[k].IsWord(sql, "last_value") ? "last" : null;
            if (replacement is null || !tokens[k + 1].IsSymbol(sql, '('))
            {
                continue;
            }

            var after = MatchingParenthesis(sql, tokens, k + 1) + 1;
            if (after <= 0)
            {
                continue;
            }

            if (after < tokens.Count && tokens[after].IsWord(sql, "filter") && after + 1 < tokens.Count && tokens[after + 1].IsSymbol(sql, '('))
            {
                after = MatchingParenthesis(sql, tokens, after + 1) + 1;
            }

            if (after > 0 && !(after < tokens.Count && tokens[after].IsWord(sql, "over")))
            {
                edits.Add((tokens[k].Start, tokens[k].Length, replacement));
            }
        }
    }

    private static void UnsignedTypeNames(string sql, List<SqlToken> tokens, List<(int, int, string)> edits)
    {
        for (var k = 0; k + 1 < tokens.Count; k++)
        {
            if (tokens[k].Kind == SqlTokenKind.Word && tokens[k + 1].IsWord(sql, "unsigned")
                && UnsignedTypes.TryGetValue(tokens[k].Text(sql), out var type))
            {
                edits.Add((tokens[k].Start, tokens[k + 1].End - tokens[k].Start, type));
            }
        }
    }

    /// <summary>The index of the parenthesis closing the one at <paramref name="open"/>, or -1.</summary>
    private static int MatchingParenthesis(string sql, List<SqlToken> tokens, int open)
    {
        var depth = 0;
        for (var i = open; i < tokens.Count; i++)
        {
            if (tokens[i].IsSymbol(sql, '('))
            {
                depth++;
            }
            else if (tokens[i].IsSymbol(sql, ')') && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Apply(string sql, List<(int Start, int Length, string Text)> edits)
    {
        if (edits.Count == 0)
        {
            return sql;
        }

        var text = new System.Text.StringBuilder(sql);
        foreach (var (start, length, replacement) in edits.OrderByDescending(e => e.Start))
        {
            text.Remove(start, length).Insert(start, replacement);
        }

        return text.ToString();
    }
}
