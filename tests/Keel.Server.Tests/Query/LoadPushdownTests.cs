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
        "SELECT id FROM sys_invocation WHERE target_service_name = 'Greeter' LIMIT 2",
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
        // Limits that need every row first, or that count rows a residual condition drops.
        "SELECT id FROM sys_invocation LIMIT 3",
        "SELECT id FROM sys_invocation_status LIMIT 3",
        "SELECT id FROM sys_invocation_state LIMIT 2",
        "SELECT id FROM sys_invocation_status WHERE target_service_name = 'Greeter' LIMIT 2",
        "SELECT * FROM sys_journal LIMIT 2",
        "SELECT id FROM sys_invocation LIMIT 0",
        "SELECT id FROM sys_invocation ORDER BY created_at DESC LIMIT 2",
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

        // The view is a join: its first rows are not the first ones loaded.
        await _pushed.JsonRows("SELECT id FROM sys_invocation LIMIT 2");
        Assert.Equal(new TestData().Invocations.Count, _pushed.Snapshots[2].TotalRowsRead);
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
    [InlineData("SELECT * FROM sys_invocation i WHERE i.id IN ('a', 'b') AND status = 'pending' LIMIT 5;", "sys_invocation_status", "id=a,b;status=inboxed", null)]
    [InlineData("SELECT * FROM sys_invocation_status i WHERE i.id IN ('a', 'b') AND status = 'inboxed' LIMIT 5;", "sys_invocation_status", "id=a,b;status=inboxed", 5L)]
    [InlineData("SELECT * FROM sys_invocation WHERE status = 'running' LIMIT 5", "sys_invocation_status", "status=invoked", null)]
    [InlineData("SELECT * FROM sys_journal WHERE id = 'it''s' AND index > 2", "sys_journal", "id=it's", null)]
    [InlineData("SELECT * FROM sys_journal LIMIT 7", "sys_journal", "", 7L)]
    [InlineData("SELECT * FROM sys_invocation_state WHERE id = 'a' AND status = 'x'", "sys_invocation_state", "id=a", null)]
    public void Plain_conditions_and_limits_are_understood(string sql, string table, string equal, long? limit)
    {
        var filter = SqlDialect.Prepare(sql).Filter;
        Assert.NotNull(filter);
        Assert.Equal(table, filter.Table);
        Assert.Equal(equal, string.Join(';', filter.Equal.OrderBy(e => e.Key, StringComparer.Ordinal)
            .Select(e => e.Key + "=" + string.Join(',', e.Value.Order(StringComparer.Ordinal)))));
        Assert.Equal(limit, filter.Limit);
    }

    [Theory]
    [InlineData("SELECT * FROM sys_invocation WHERE id = 'a' OR id = 'b'")]
    [InlineData("SELECT * FROM sys_invocation WHERE target_service_key = 'a'")]
    [InlineData("SELECT * FROM sys_invocation i, sys_journal j WHERE i.id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = 'a' UNION ALL SELECT * FROM sys_invocation")]
    [InlineData("WITH x AS (SELECT 1) SELECT * FROM sys_invocation WHERE id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = (SELECT max(id) FROM sys_invocation_status)")]
    [InlineData("SELECT * FROM sys_invocation WHERE other.id = 'a'")]
    [InlineData("SELECT * FROM sys_invocation WHERE id = E'a'")]
    [InlineData("SELECT * FROM state WHERE service_name = 'a' LIMIT 1")]
    [InlineData("SELECT count(*) FROM sys_journal LIMIT 1")]
    public void Anything_else_loads_everything(string sql)
    {
        Assert.Null(SqlDialect.Prepare(sql).Filter);
    }
}
