using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using Keel.Fuzzing;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// SQL into <c>POST /query</c>: queries from a small grammar of the introspection tables (joins, subqueries,
/// casts, arithmetic, aggregates), the same queries with characters deleted, doubled or replaced, statements
/// that reach outside (files, extensions, settings), and bodies that are not a query at all. SQL is the
/// caller's input: every one is answered 200 with a whole JSON result or 4xx with a message — never 5xx,
/// never a 200 whose result breaks off — and the server stays whole.
/// </summary>
[Collection(FuzzServerCollection.Name)]
public sealed class QueryFuzzTests(FuzzServer server)
{
    private static readonly string[] Tables =
        ["sys_invocation", "sys_journal", "sys_service", "sys_deployment", "state", "sys_inbox", "sys_idempotency", "sys_promise", "sys_invocation_status", "sys_invocation_state", "no_table"];

    private static readonly string[] Columns =
        ["id", "status", "target", "target_service_name", "target_service_key", "created_at", "modified_at", "index", "entry_type", "key", "value", "value_utf8",
         "name", "service_name", "retry_count", "journal_size", "invoked_by", "pinned_deployment_id", "service_key", "nope", "*"];

    private static readonly string[] Literals =
        ["0", "1", "-1", "2147483647", "9223372036854775807", "18446744073709551616", "1e308", "0.5", "'x'", "'inv_1'", "''", "'it''s'", "NULL", "TRUE",
         "'2026-01-01'", "'abc'::INT", "CAST('x' AS TIMESTAMP)", "'1'::UTINYINT", "255::UTINYINT + 1", "1/0", "1%0", "[1,2][5]", "'é🙂'", "now()"];

    private static readonly string[] Outside =
        ["COPY (SELECT 1) TO '/tmp/keel-fuzz.csv'", "SELECT * FROM read_csv('/etc/passwd')", "ATTACH '/tmp/x.db' AS x", "INSTALL httpfs", "LOAD httpfs",
         "SET memory_limit = '100GB'", "PRAGMA version", "CREATE TABLE t AS SELECT 1", "DROP TABLE sys_invocation", "SELECT * FROM duckdb_settings()",
         "SELECT getenv('HOME')", "CALL pragma_database_size()", "EXPORT DATABASE '/tmp/keel-fuzz'", "SELECT 1; SELECT 2", "", ";", "--", "/*", "'"];

    [Fact]
    public async Task Any_query_is_answered_with_rows_or_a_4xx_message()
    {
        await Gen.UInt.Array[1, 200].SampleAsync(async values =>
        {
            var c = new FuzzChoices(values);
            var (body, shown) = Body(c);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/query") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd(c.Chance(80) ? "application/json" : "application/vnd.apache.arrow.stream");
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var response = await server.Admin.SendAsync(request, deadline.Token);
            var status = (int)response.StatusCode;
            var bytes = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            Assert.True(status is 200 or (>= 400 and < 500), $"{shown}: {status} {Encoding.UTF8.GetString(bytes)}");
            if (status != 200 || response.Content.Headers.ContentType?.MediaType == "application/json")
            {
                var json = JsonNode.Parse(bytes);   // a whole document: a 200 that broke off fails here
                Assert.True(status == 200 ? json?["rows"] is JsonArray : json?["message"] is not null, $"{shown}: {status} {Encoding.UTF8.GetString(bytes)}");
            }

            await server.AssertHealthyAsync(shown);
        }, iter: FuzzIterations.Count(30), threads: 1);
    }

    /// <summary>The request body, and what to show of it in a failure.</summary>
    private static (string Body, string Shown) Body(FuzzChoices c)
    {
        var sql = c.Below(10) switch
        {
            < 5 => Select(c, 2),
            < 8 => Mutate(c, Select(c, 1)),
            8 => c.Pick(Outside),
            _ => c.Text(FuzzFrames.Strings),
        };
        var body = c.Below(20) switch
        {
            0 => sql,                                                           // not JSON
            1 => new JsonObject { ["query"] = c.Below(3) switch { 0 => JsonValue.Create(5), 1 => (JsonNode?)null, _ => new JsonArray(JsonValue.Create(sql)) } }.ToJsonString(),
            2 => new JsonObject { ["sql"] = sql }.ToJsonString(),
            _ => new JsonObject { ["query"] = sql }.ToJsonString(),
        };
        return (body, body.Length > 2000 ? body[..2000] + "…" : body);
    }

    /// <summary>A SELECT of the introspection tables; <paramref name="depth"/> bounds nested subqueries.</summary>
    private static string Select(FuzzChoices c, int depth)
    {
        var table = c.Pick(Tables);
        var sql = new StringBuilder("SELECT ");
        sql.Append(c.Below(4) switch
        {
            0 => "*",
            1 => $"count(*), {c.Pick(Columns)}",
            2 => $"{Expression(c)} AS e",
            _ => string.Join(", ", Enumerable.Range(0, 1 + c.Below(3)).Select(_ => c.Pick(Columns))),
        });
        sql.Append(" FROM ").Append(table).Append(" t");
        if (c.Chance(15))
        {
            sql.Append(" JOIN ").Append(c.Pick(Tables)).Append(" u ON t.").Append(c.Pick(Columns)).Append(" = u.").Append(c.Pick(Columns));
        }

        if (c.Chance(60))
        {
            sql.Append(" WHERE ").Append(Condition(c, depth));
        }

        if (c.Chance(20))
        {
            sql.Append(" GROUP BY ").Append(c.Pick(Columns));
        }

        if (c.Chance(30))
        {
            sql.Append(" ORDER BY ").Append(c.Pick(Columns)).Append(c.Chance(50) ? " DESC" : string.Empty);
        }

        if (c.Chance(40))
        {
            sql.Append(" LIMIT ").Append(c.Pick(Literals));
        }

        return sql.ToString();
    }

    private static string Condition(FuzzChoices c, int depth) => c.Below(8) switch
    {
        0 => $"{c.Pick(Columns)} = {c.Pick(Literals)}",
        1 => $"{c.Pick(Columns)} {c.Pick<string>(["<", ">=", "!=", "==", "<>"])} {Expression(c)}",
        2 => $"{c.Pick(Columns)} IS {(c.Chance(50) ? "NOT " : string.Empty)}NULL",
        3 => $"{c.Pick(Columns)} LIKE '{c.Text(FuzzFrames.Strings).Replace("'", "''", StringComparison.Ordinal)}%'",
        4 => $"{c.Pick(Columns)} IN ({c.Pick(Literals)}, {c.Pick(Literals)})",
        5 when depth > 0 => $"id IN ({Select(c, depth - 1)})",
        6 => $"({Condition(c, depth)}) {(c.Chance(50) ? "AND" : "OR")} NOT ({Condition(c, depth)})",
        _ => $"{c.Pick(Columns)} BETWEEN {c.Pick(Literals)} AND {c.Pick(Literals)}",
    };

    private static string Expression(FuzzChoices c) => c.Below(5) switch
    {
        0 => c.Pick(Literals),
        1 => $"{c.Pick(Columns)} {c.Pick<string>(["+", "-", "*", "/", "%", "||"])} {c.Pick(Literals)}",
        2 => $"CAST({c.Pick(Columns)} AS {c.Pick<string>(["INT", "INT UNSIGNED", "BIGINT", "TIMESTAMP", "VARCHAR", "UTINYINT", "BLOB", "DATE"])})",
        3 => $"{c.Pick<string>(["length", "upper", "abs", "first_value", "max", "sum", "avg", "to_timestamp", "epoch_ms"])}({c.Pick(Columns)})",
        _ => c.Pick(Columns),
    };

    /// <summary>The text with a few characters deleted, doubled or replaced by SQL punctuation.</summary>
    private static string Mutate(FuzzChoices c, string sql)
    {
        var text = new StringBuilder(sql);
        for (var i = 1 + c.Below(3); i > 0 && text.Length > 0; i--)
        {
            var at = c.Below(text.Length);
            switch (c.Below(3))
            {
                case 0: text.Remove(at, 1); break;
                case 1: text.Insert(at, text[at]); break;
                default: text[at] = c.Pick<char>(['(', ')', '\'', '"', ';', ',', '-', '/', '*', '.', ' ', '\0', '$', '?', ':']); break;
            }
        }

        return text.ToString();
    }
}
