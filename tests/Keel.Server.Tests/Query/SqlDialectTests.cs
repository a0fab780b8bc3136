using Keel.Server.Query;

namespace Keel.Server.Tests.Query;

public sealed class SqlDialectTests
{
    [Fact]
    public void The_CLI_count_query_gets_its_derived_table_named_after_the_inner_alias()
    {
        var sql = CliQueries.CountLowerBound("WHERE inv.target_service_name IN ('Counter') AND status != 'completed'");
        Assert.Equal(
            "SELECT COUNT(1) FROM (SELECT\n            *\n        FROM sys_invocation inv\n        LIMIT 50000\n        ) AS inv\n        WHERE inv.target_service_name IN ('Counter') AND status != 'completed'",
            SqlDialect.Adapt(sql));
    }

    [Theory]
    [InlineData("SELECT * FROM (SELECT * FROM t x) y WHERE y.a = 1")]
    [InlineData("SELECT * FROM (SELECT * FROM t x) AS y")]
    [InlineData("SELECT * FROM (SELECT * FROM t x) \"y\"")]
    [InlineData("SELECT * FROM (SELECT * FROM t) WHERE a = 1")]
    [InlineData("SELECT * FROM (SELECT * FROM t WHERE b) WHERE a = 1")]
    [InlineData("SELECT * FROM t WHERE a IN (SELECT b FROM u x)")]
    [InlineData("SELECT 'FROM (SELECT * FROM t inv) WHERE first_value(x) INT UNSIGNED' AS s")]
    [InlineData("SELECT \"first_value\"(x) FROM t")]
    [InlineData("SELECT first_value(x) OVER (ORDER BY y) FROM t")]
    [InlineData("SELECT first_value(x) FILTER (WHERE x > 1) OVER (ORDER BY y) FROM t")]
    [InlineData("-- first_value(x) FROM (SELECT * FROM t inv)\nSELECT 1")]
    [InlineData("/* first_value(x) */ SELECT $$first_value(y)$$, E'it\\'s first_value(z)', $tag$INT UNSIGNED$tag$")]
    [InlineData("select key, value from state where service_name = 'S' and service_key = 'K' ;")]
    public void Everything_else_is_left_exactly_as_it_was(string sql)
    {
        Assert.Equal(sql, SqlDialect.Adapt(sql));
    }

    [Theory]
    [InlineData("SELECT * FROM (SELECT * FROM sys_invocation AS inv) WHERE inv.id = 'x'", "SELECT * FROM (SELECT * FROM sys_invocation AS inv) AS inv WHERE inv.id = 'x'")]
    [InlineData("SELECT * FROM a JOIN (SELECT * FROM main.b bb) ON bb.x = a.x", "SELECT * FROM a JOIN (SELECT * FROM main.b bb) AS bb ON bb.x = a.x")]
    [InlineData("SELECT COUNT(1) FROM (SELECT * FROM (SELECT 1) q, t inv) WHERE inv.a", "SELECT COUNT(1) FROM (SELECT * FROM (SELECT 1) q, t inv) WHERE inv.a")]
    [InlineData("SELECT FIRST_VALUE(id ORDER BY created_at ASC) as o FROM t GROUP BY s", "SELECT first(id ORDER BY created_at ASC) as o FROM t GROUP BY s")]
    [InlineData("SELECT first_value(id), last_value(id) FILTER (WHERE x) FROM t", "SELECT first(id), last(id) FILTER (WHERE x) FROM t")]
    [InlineData("SELECT CAST(1 as INT UNSIGNED) AS version", "SELECT CAST(1 as UINTEGER) AS version")]
    [InlineData("SELECT CAST(1 AS bigint  unsigned), CAST(1 AS SmallInt Unsigned)", "SELECT CAST(1 AS UBIGINT), CAST(1 AS USMALLINT)")]
    public void DataFusion_spellings_become_DuckDB_ones(string sql, string expected)
    {
        Assert.Equal(expected, SqlDialect.Adapt(sql));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ;  ")]
    [InlineData("-- nothing")]
    [InlineData("SELECT 1; SELECT 2")]
    [InlineData("SELECT 1; DROP TABLE state;")]
    public void Empty_texts_and_several_statements_are_refused(string sql)
    {
        var error = Assert.Throws<QueryException>(() => SqlDialect.Prepare(sql));
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public void A_trailing_semicolon_is_one_statement()
    {
        Assert.Equal("SELECT 1 ;; ", SqlDialect.Adapt("SELECT 1 ;; "));
    }

    [Fact]
    public void The_names_a_query_uses_are_its_identifiers_in_lower_case_never_its_literals()
    {
        var names = SqlDialect.Prepare("SELECT s.Key FROM \"State\" s JOIN Sys_Inbox i ON true WHERE x = 'sys_journal' -- sys_promise").Names;
        Assert.Contains("state", names);
        Assert.Contains("sys_inbox", names);
        Assert.Contains("key", names);
        Assert.DoesNotContain("sys_journal", names);
        Assert.DoesNotContain("sys_promise", names);
    }
}
