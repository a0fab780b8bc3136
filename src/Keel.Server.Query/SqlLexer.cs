namespace Keel.Server.Query;

/// <summary>The kinds of token <see cref="SqlLexer"/> tells apart; just enough to rewrite SQL safely.</summary>
internal enum SqlTokenKind
{
    /// <summary>A keyword, unquoted identifier or number.</summary>
    Word,

    /// <summary>A double-quoted identifier.</summary>
    QuotedIdentifier,

    /// <summary>A string literal (<c>'…'</c>, <c>E'…'</c>, <c>$$…$$</c>); never rewritten.</summary>
    String,

    /// <summary>Any other character: punctuation and operators, one character each.</summary>
    Symbol,
}

/// <summary>One token: where it sits in the text. Whitespace and comments are not tokens.</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Start, int Length)
{
    public int End => Start + Length;

    public string Text(string sql) => sql.Substring(Start, Length);

    public bool IsWord(string sql, string word) =>
        Kind == SqlTokenKind.Word && Length == word.Length && string.Compare(sql, Start, word, 0, Length, StringComparison.OrdinalIgnoreCase) == 0;

    public bool IsSymbol(string sql, char symbol) => Kind == SqlTokenKind.Symbol && sql[Start] == symbol;
}

/// <summary>
/// Splits SQL into tokens, skipping whitespace and comments, so that rewrites can look at keywords and
/// identifiers and leave string literals and comments exactly as they were.
/// </summary>
internal static class SqlLexer
{
    public static List<SqlToken> Tokenize(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var tokens = new List<SqlToken>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && At(sql, i + 1) == '-')
            {
                i = sql.IndexOf('\n', i) is var nl and >= 0 ? nl + 1 : sql.Length;
            }
            else if (c == '/' && At(sql, i + 1) == '*')
            {
                i = sql.IndexOf("*/", i + 2, StringComparison.Ordinal) is var close and >= 0 ? close + 2 : sql.Length;
            }
            else if (c == '\'')
            {
                i = Add(tokens, SqlTokenKind.String, i, EndOfQuoted(sql, i, '\'', backslashEscapes: false));
            }
            else if ((c is 'e' or 'E') && At(sql, i + 1) == '\'')
            {
                i = Add(tokens, SqlTokenKind.String, i, EndOfQuoted(sql, i + 1, '\'', backslashEscapes: true));
            }
            else if (c == '"')
            {
                i = Add(tokens, SqlTokenKind.QuotedIdentifier, i, EndOfQuoted(sql, i, '"', backslashEscapes: false));
            }
            else if (c == '$' && DollarTag(sql, i) is { } tag)
            {
                var close = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = Add(tokens, SqlTokenKind.String, i, close >= 0 ? close + tag.Length : sql.Length);
            }
            else if (IsWordChar(c))
            {
                var end = i + 1;
                while (end < sql.Length && IsWordChar(sql[end]))
                {
                    end++;
                }

                i = Add(tokens, SqlTokenKind.Word, i, end);
            }
            else
            {
                i = Add(tokens, SqlTokenKind.Symbol, i, i + 1);
            }
        }

        return tokens;
    }

    /// <summary>The identifier a word or quoted-identifier token names (quotes removed), else null.</summary>
    public static string? Identifier(string sql, SqlToken token) => token.Kind switch
    {
        SqlTokenKind.Word => token.Text(sql),
        SqlTokenKind.QuotedIdentifier => sql.Substring(token.Start + 1, Math.Max(0, token.Length - 2)).Replace("\"\"", "\"", StringComparison.Ordinal),
        _ => null,
    };

    private static int Add(List<SqlToken> tokens, SqlTokenKind kind, int start, int end)
    {
        tokens.Add(new SqlToken(kind, start, end - start));
        return end;
    }

    private static char At(string sql, int index) => index < sql.Length ? sql[index] : '\0';

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '_' || c > 127;

    /// <summary>The end (exclusive) of a quoted run opening at <paramref name="open"/>; a doubled quote stays inside.</summary>
    private static int EndOfQuoted(string sql, int open, char quote, bool backslashEscapes)
    {
        var i = open + 1;
        while (i < sql.Length)
        {
            if (backslashEscapes && sql[i] == '\\')
            {
                i += 2;
            }
            else if (sql[i] == quote)
            {
                if (At(sql, i + 1) != quote)
                {
                    return i + 1;
                }

                i += 2;
            }
            else
            {
                i++;
            }
        }

        return sql.Length;
    }

    /// <summary><c>$$</c> or <c>$tag$</c> opening a dollar-quoted string at <paramref name="start"/>, else null (e.g. <c>$1</c>).</summary>
    private static string? DollarTag(string sql, int start)
    {
        var i = start + 1;
        if (i < sql.Length && (char.IsLetter(sql[i]) || sql[i] == '_'))
        {
            while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_'))
            {
                i++;
            }
        }

        return At(sql, i) == '$' ? sql.Substring(start, i - start + 1) : null;
    }
}
