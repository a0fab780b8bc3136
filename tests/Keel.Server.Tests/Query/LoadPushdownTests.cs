using Keel.Server.Introspection;
using Keel.Server.Query;
using static Keel.Server.Tests.Query.TestData;

namespace Keel.Server.Tests.Query;

/// <summary>
/// Conditions and limits pushed into the storage read: they narrow what is loaded, never what a query
/// answers (the same queries give the same bytes with the pushdown off), and a query about one
/// invocation reads only that invocation's rows.
/// </summary>
public sealed class LoadPushdownTests : IDisposable
{
    /// <summary>Two journals, so that reading one of them is told apart from reading all.</summary>
    private static TestData Data() => new()
    {
        Journal =
        [
            .. new TestData().Journal,
            .. new[] { "Command: Input", "Command: Output", "Notification: Run" }.Select((type, i) => new JournalRow
            {
                Id = Succeeded, PartitionKey = 42, Index = (uint)i, EntryType = type, Raw = [(byte)i],
            }),
        ],
    };

    private readonly QueryFixture _pushed = new(Data());
    private readonly QueryFixture _whole = new(Data(), new QueryEngineOptions { PushDown = false });

    public void Dispose()
    {
        _pushed.Dispose();
        _whole.Dispose();
    }

    public static TheoryData<string> Queries => new()
    {
        $"SELECT * FROM sys_journal WHERE id = '{Succeeded}' ORDER BY index",
        $"SELECT id, index FROM sys_journal WHERE id IN ('{Running}', '{Succeeded}', 'inv_nonsense') ORDER BY id, index",
        $"select * from SYS_INVOCATION where ID = '{Running}'",
        $"SELECT * FROM sys_invocation WHERE id == '{Paused}' AND target_service_name = 'Greeter'",
        $"SELECT id FROM sys_invocation WHERE id = '{Paused}' AND target_service_name = 'Counter'",
        $"SELECT id FROM sys_invocation WHERE id = '{Paused}' AND id = '{Running}'",
        "SELECT id FROM sys_invocation WHERE id = 'not an id'",
        "SELECT id, status FROM sys_invocation WHERE status = 'running'",
        "SELECT id, status FROM sys_invocation WHERE status = 'pending'",
        "SELECT id, status FROM sys_invocation WHERE status IN ('backing-off', 'ready') ORDER BY id",
        "SELECT id, status FROM sys_invocation WHERE status = 'ready' LIMIT 1",
        "SELECT id FROM sys_invocation WHERE status = 'Completed'",
        "SELECT id, status FROM sys_invocation_status WHERE status = 'invoked' LIMIT 2",
        "SELECT id FROM sys_invocation WHERE target = 'Counter/alice/add' ORDER BY id",
        $"SELECT id, retry_count FROM sys_invocation_state WHERE id IN ('{BackingOff}', '{Pending}')",
        $"SELECT inv.id, inv.status FROM sys_invocation AS inv WHERE inv.id = '{Suspended}'",
        $"SELECT \"id\" FROM sys_invocation WHERE \"id\" = '{Suspended}'",
        // Not plain conjunctions: an OR, a NOT, a CASE, a BETWEEN whose AND is not a conjunction.
        $"SELECT id FROM sys_invocation WHERE id = '{Running}' OR status = 'completed' ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE status = 'paused' AND target = 'x' OR id = '{Running}' ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE NOT id = '{Running}' ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE NOT id = '{Running}' AND target_service_name = 'Greeter' ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE id NOT IN ('{Running}') ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE CASE WHEN status = 'completed' AND id = '{Running}' THEN false ELSE true END ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE journal_size BETWEEN 0 AND 5 AND id = '{Running}' ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE (id = '{Running}' OR id = '{Paused}') ORDER BY id",
        // Subqueries over the same rows or others.
        $"SELECT id, (SELECT count(*) FROM sys_invocation_status) AS n FROM sys_invocation WHERE id = '{Running}'",
        $"SELECT * FROM sys_journal WHERE id = '{Running}' AND index IN (SELECT index FROM sys_journal WHERE id = '{Succeeded}') ORDER BY index",
        $"SELECT id FROM sys_invocation WHERE id = '{Running}' AND journal_size = (SELECT count(*) FROM sys_journal WHERE id = '{Running}')",
        $"SELECT j.index FROM sys_journal j JOIN sys_invocation i ON i.id = j.id WHERE i.id = '{Running}' ORDER BY j.index",
        $"SELECT COUNT(1) FROM (SELECT * FROM sys_invocation inv LIMIT 3) WHERE inv.id = '{Running}'",
        // String literals that look like conditions.
        $"SELECT id FROM sys_invocation WHERE target = 'id = ''{Running}''' OR id = '{Succeeded}'",
        $"SELECT 'id = ''{Running}''' AS s, id FROM sys_invocation WHERE completion_failure IS NULL ORDER BY id",
        $"SELECT id FROM sys_invocation WHERE id = '{Running}' || ''",
        // Conditions that leave values out, on more columns.
        "SELECT id, status FROM sys_invocation WHERE status <> 'completed' ORDER BY id",
        "SELECT id, status FROM sys_invocation WHERE status != 'pending' AND status <> 'paused' ORDER BY id",
        "SELECT id, status FROM sys_invocation WHERE status <> 'running' ORDER BY id",
        "SELECT id FROM sys_invocation WHERE status NOT IN ('completed', 'pending', 'scheduled', 'paused') ORDER BY created_at",
        "SELECT id FROM sys_invocation WHERE target_service_name = 'Counter' AND target_service_key = 'alice' AND target_handler_name = 'add' ORDER BY created_at",
        "SELECT id FROM sys_invocation WHERE target_service_key <> 'alice' ORDER BY id",
        "SELECT id FROM sys_invocation_status WHERE status <> 'completed' LIMIT 3",
        "SELECT key, value FROM state WHERE service_name = 'Counter' AND service_key = 'alice'",
        "SELECT key FROM state WHERE service_name IN ('Counter', 'Signup') AND service_key IN ('alice', 'bob') ORDER BY key",
        "SELECT DISTINCT service_key FROM state WHERE service_name = 'Counter' ORDER BY service_key LIMIT 1000",
        "SELECT * FROM sys_inbox WHERE service_name = 'Counter' AND service_key = 'alice'",
        "SELECT key, completed FROM sys_promise WHERE service_name = 'Signup' AND service_key = 'user-1' AND key <> 'audit'",
        "SELECT * FROM sys_idempotency WHERE service_name = 'Greeter' AND idempotency_key = 'idem-1'",
        // The console's calls of unfinished invocations, the CLI's wait graph: the journal only of the invocations loaded.
        "SELECT id, \"index\", entry_type, completed FROM sys_journal WHERE (entry_type = 'Command: Call' OR entry_type LIKE 'Notification:%') "
            + "AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed') LIMIT 50000",
        "SELECT id, index FROM sys_journal WHERE entry_type IN ('Command: Run', 'Run') AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed') ORDER BY id, index",
        "SELECT j.id, j.index FROM sys_journal j WHERE j.id IN (SELECT s.id FROM sys_invocation_status s WHERE s.status = 'completed') ORDER BY 1, 2",
        "SELECT id, index FROM sys_journal WHERE id IN (SELECT id FROM sys_invocation WHERE status = 'running' AND id = sys_journal.id) ORDER BY 1, 2",
        "SELECT id, index FROM sys_journal WHERE id IN (SELECT invoked_id FROM sys_invocation) ORDER BY 1, 2",
        "SELECT id, index FROM sys_journal WHERE id NOT IN (SELECT id FROM sys_invocation WHERE status <> 'completed') ORDER BY 1, 2",
        // The first rows by a time the load can order by.
        "SELECT id FROM sys_invocation ORDER BY created_at DESC LIMIT 2",
        "SELECT id, created_at FROM sys_invocation WHERE status <> 'completed' ORDER BY created_at DESC LIMIT 3",
        "SELECT id FROM sys_invocation_status ORDER BY modified_at ASC NULLS LAST LIMIT 4",
        "SELECT inv.id FROM sys_invocation inv WHERE inv.target_service_name = 'Greeter' ORDER BY inv.created_at LIMIT 2",
        "SELECT id, target AS created_at FROM sys_invocation ORDER BY created_at DESC LIMIT 2",
        "SELECT id, created_at FROM sys_invocation ORDER BY created_at DESC, id LIMIT 2",
        "SELECT id FROM sys_invocation WHERE last_failure IS NULL ORDER BY created_at DESC LIMIT 2",
        "SELECT id FROM sys_invocation WHERE status = 'running' ORDER BY created_at DESC LIMIT 2",
        "SELECT id FROM sys_invocation ORDER BY created_at DESC LIMIT 0",
        "SELECT id FROM sys_invocation ORDER BY created_at DESC LIMIT 100",
        // Limits that need every row first, or that count rows a residual condition drops.
        "SELECT id FROM sys_invocation_status LIMIT 3",
        "SELECT id FROM sys_invocation_state LIMIT 2",
        "SELECT id FROM sys_invocation_status WHERE target_service_name = 'Greeter' LIMIT 2",
        "SELECT * FROM sys_journal LIMIT 2",
        "SELECT id FROM sys_invocation LIMIT 0",
        "SELECT count(*) AS n FROM sys_invocation LIMIT 1",
        "SELECT DISTINCT target_service_name FROM sys_invocation ORDER BY 1 LIMIT 2",
        "SELECT id FROM sys_invocation WHERE journal_size > 0 LIMIT 1",
        "SELECT target_service_name, count(*) AS n FROM sys_invocation WHERE status = 'completed' GROUP BY 1 ORDER BY 1",
        "SELECT id FROM sys_invocation LIMIT 2 OFFSET 3",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task A_query_answers_the_same_with_and_without_pushdown(string sql)
    {
        Assert.Equal(await _whole.JsonText(sql), await _pushed.JsonText(sql));
    }

    [Fact]
    public async Task A_query_about_one_invocation_reads_only_its_rows()
    {
        var journal = await _pushed.JsonRows($"SELECT index FROM sys_journal WHERE id = '{Succeeded}' ORDER BY index");
        Assert.Equal(3, journal.Length);
        var read = Assert.Single(_pushed.Snapshots);
        Assert.Equal(["Journal(ids)"], read.Reads);
        Assert.Equal(3, read.TotalRowsRead);

        var invocation = Assert.Single(await _pushed.JsonRows($"SELECT status FROM sys_invocation WHERE id = '{BackingOff}'"));
        Assert.Equal("backing-off", invocation.GetProperty("status").GetString());
        Assert.Equal(["Invocations(ids)"], _pushed.Snapshots[1].Reads);
        Assert.Equal(1, _pushed.Snapshots[1].TotalRowsRead);

        // Without the pushdown the same query reads the whole table.
        await _whole.JsonRows($"SELECT status FROM sys_invocation WHERE id = '{BackingOff}'");
        Assert.Equal(["Invocations"], _whole.Snapshots[0].Reads);
        Assert.Equal(new TestData().Invocations.Count, _whole.Snapshots[0].TotalRowsRead);
    }

    [Fact]
    public async Task A_limit_stops_the_read_only_when_the_first_rows_are_the_answer()
    {
        Assert.Equal(2, (await _pushed.JsonRows("SELECT id FROM sys_invocation_status LIMIT 2")).Length);
        Assert.Equal(2, _pushed.Snapshots[0].TotalRowsRead);

        await _pushed.JsonRows("SELECT id FROM sys_invocation_status ORDER BY created_at LIMIT 2");
        Assert.Equal(new TestData().Invocations.Count, _pushed.Snapshots[1].TotalRowsRead);

        // Without an ORDER BY any two rows are an answer, also through the view (a join).
        Assert.Equal(2, (await _pushed.JsonRows("SELECT id FROM sys_invocation LIMIT 2")).Length);
        Assert.Equal(2, _pushed.Snapshots[2].TotalRowsRead);

        // The first rows by creation time are found while reading, but every row is read for them.
        await _pushed.JsonRows("SELECT id FROM sys_invocation ORDER BY created_at DESC LIMIT 2");
        Assert.Equal(new TestData().Invocations.Count, _pushed.Snapshots[3].TotalRowsRead);
    }

    [Theory]
    [InlineData("SELECT id FROM sys_invocation LIMIT 3")]
    [InlineData("SELECT id, status FROM sys_invocation WHERE status <> 'completed' LIMIT 4")]
    [InlineData("SELECT id FROM sys_invocation WHERE target_service_name = 'Greeter' AND status IN ('paused', 'completed') LIMIT 1")]
    [InlineData("SELECT id FROM sys_invocation LIMIT 100")]
    [InlineData("SELECT id FROM sys_invocation WHERE target_service_name = 'Greeter' LIMIT 2")]
    public async Task A_limit_without_an_order_answers_rows_the_query_selects(string sql)
    {
        // Any n of the rows the query selects are its answer: they differ from the unpushed ones only in which.
        var unlimited = sql[..sql.LastIndexOf(" LIMIT ", StringComparison.Ordinal)];
        var all = (await _whole.JsonRows(unlimited)).Select(r => r.GetRawText()).ToList();
        var limit = int.Parse(sql[(sql.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var pushed = (await _pushed.JsonRows(sql)).Select(r => r.GetRawText()).ToList();
        Assert.Equal(Math.Min(limit, all.Count), pushed.Count);
        Assert.Subset(all.ToHashSet(), pushed.ToHashSet());
        Assert.Equal(pushed.Count, pushed.Distinct().Count());
    }

    [Fact]
    public async Task A_condition_that_is_not_a_plain_conjunction_reads_everything()
    {
        await _pushed.JsonRows($"SELECT id FROM sys_invocation WHERE id = '{Running}' OR id = '{Paused}'");
        Assert.Equal(["Invocations"], _pushed.Snapshots[0].Reads);
        Assert.Equal(new TestData().Invocations.Count, _pushed.Snapshots[0].TotalRowsRead);
    }

    [Theory]
    [InlineData("SELECT * FROM sys_invocation WHERE id = 'a'", "sys_invocation_status", "id=a", null)]
    [InlineData("SELECT * FROM sys_invocation i WHERE i.id IN ('a', 'b') AND status = 'pending' LIMIT 5;", "sys_invocation_status", "id=a,b;status=inboxed", 5L)]
    [InlineData("SELECT * FROM sys_invocation_status i WHERE i.id IN ('a', 'b') AND status = 'inboxed' LIMIT 5;", "sys_invocation_status", "id=a,b;status=inboxed", 5L)]
    [InlineData("SELECT * FROM sys_invocation WHERE status = 'running' LIMIT 5", "sys_invocation_status", "status=invoked", null)]
    [InlineData("SELECT * FROM sys_journal WHERE id = 'it''s' AND index > 2", "sys_journal", "id=it's", null)]
    [InlineData("SELECT * FROM sys_journal LIMIT 7", "sys_journal", "", 7L)]
    [InlineData("SELECT * FROM sys_invocation_state WHERE id = 'a' AND status = 'x'", "sys_invocation_state", "id=a", null)]
    [InlineData("SELECT * FROM sys_invocation WHERE target_service_key = 'a' AND target_handler_name = 'h'", "sys_invocation_status", "target_handler_name=h;target_service_key=a", null)]
    [InlineData("SELECT * FROM state WHERE service_name = 'a' LIMIT 1", "state", "service_name=a", 1L)]
    [InlineData("SELECT key FROM state WHERE service_name = 'a' AND service_key = 'k' ORDER BY key", "state", "service_key=k;service_name=a", null)]
    public void Plain_conditions_and_limits_are_understood(string sql, string table, string equal, long? limit)
    {
        var filter = Assert.Single(SqlDialect.Prepare(sql).Filters);
        Assert.Equal(table, filter.Table);
        Assert.Equal(equal, string.Join(';', filter.Equal.OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key + "=" + string.Join(',', e.Value.Order(StringComparer.Ordinal)))));
        Assert.Equal(limit, filter.Limit);
    }

    [Theory]
    [InlineData("SELECT * FROM sys_invocation WHERE id = 'a' OR id = 'b'")]
    [InlineData("SELECT * FROM sys_invocation WHERE retry_count = '1'")]
    [InlineData("SELECT * FROM sys_invocation i, sys_journal j WHERE i.id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = 'a' UNION ALL SELECT * FROM sys_invocation")]
    [InlineData("WITH x AS (SELECT 1) SELECT * FROM sys_invocation WHERE id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = (SELECT max(id) FROM sys_invocation_status)")]
    [InlineData("SELECT * FROM sys_invocation WHERE other.id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = E'a'")]
    [InlineData("SELECT * FROM state s1 WHERE service_name = 'a' AND key IN (SELECT key FROM state)")]
    [InlineData("SELECT * FROM sys_invocation WHERE status <> 'running' ORDER BY id LIMIT 1")]
    [InlineData("SELECT count(*) FROM sys_journal LIMIT 1")]
    public void Anything_else_loads_everything(string sql)
    {
        Assert.Empty(SqlDialect.Prepare(sql).Filters);
    }
}
