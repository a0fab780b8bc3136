using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Keel.Server.Deadlocks;
using Keel.Server.Query;
using static Keel.Server.Tests.Query.TestData;

namespace Keel.Server.Tests.Query;

public sealed class QueryEngineTests : IDisposable
{
    private const string Scalars = """
        SELECT 1::TINYINT AS a, 2::UBIGINT AS b, true AS c, 1.5::DOUBLE AS d, 'x"y' AS e, '\x00\xFF'::BLOB AS f,
            NULL AS g, [1, 2] AS h, 12345678901234567890::HUGEINT AS i, 1.50::DECIMAL(5,2) AS j, DATE '2026-01-02' AS k,
            INTERVAL 90 MINUTE AS l, TIMESTAMP '2026-09-22 10:11:12' AS t0, TIMESTAMP '2026-09-22 10:11:12.345' AS t3,
            TIMESTAMP '2026-09-22 10:11:12.345678' AS t6, -3::INTEGER AS m, 2.5::FLOAT AS n, {'k': 1} AS o, 7::UINTEGER AS p
        """;

    private readonly QueryFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task Json_spells_each_type_as_Restate_does_and_leaves_nulls_out()
    {
        Assert.Equal(
            """{"rows":[{"a":1,"b":2,"c":true,"d":1.5,"e":"x\"y","f":"00ff","h":[1,2],"i":12345678901234567890,"j":1.50,"k":"2026-01-02","l":"01:30:00","t0":"2026-09-22T10:11:12Z","t3":"2026-09-22T10:11:12.345Z","t6":"2026-09-22T10:11:12.345678Z","m":-3,"n":2.5,"o":{"k":1},"p":7}]}""",
            await _fixture.JsonText(Scalars));
    }

    [Fact]
    public async Task Arrow_maps_DuckDB_types_to_Arrow_ones_and_the_rest_to_text()
    {
        var (schema, batches) = await _fixture.Arrow(Scalars);
        var types = schema.FieldsList.ToDictionary(f => f.Name, f => f.DataType);
        Assert.IsType<Int8Type>(types["a"]);
        Assert.IsType<UInt64Type>(types["b"]);
        Assert.IsType<BooleanType>(types["c"]);
        Assert.IsType<DoubleType>(types["d"]);
        Assert.IsType<StringType>(types["e"]);
        Assert.IsType<BinaryType>(types["f"]);
        Assert.IsType<Int32Type>(types["m"]);
        Assert.IsType<FloatType>(types["n"]);
        Assert.IsType<UInt32Type>(types["p"]);
        var timestamp = Assert.IsType<TimestampType>(types["t3"]);
        Assert.Equal((TimeUnit.Millisecond, "+00:00"), (timestamp.Unit, timestamp.Timezone));
        foreach (var text in (string[])["h", "i", "j", "k", "l", "o"])
        {
            Assert.IsType<StringType>(types[text]);
        }

        var row = Assert.Single(batches);
        string? Text(string name) => ((StringArray)row.Column(schema.GetFieldIndex(name))).GetString(0);
        Assert.Equal(("[1,2]", "12345678901234567890", "1.50", "2026-01-02", "01:30:00", """{"k":1}"""), (Text("h"), Text("i"), Text("j"), Text("k"), Text("l"), Text("o")));
        Assert.Equal("x\"y", Text("e"));
        Assert.Equal([0x00, 0xff], ((BinaryArray)row.Column(schema.GetFieldIndex("f"))).GetBytes(0).ToArray());
        Assert.Equal(2UL, ((UInt64Array)row.Column(schema.GetFieldIndex("b"))).GetValue(0));
        Assert.Equal(new DateTimeOffset(2026, 9, 22, 10, 11, 12, 345, TimeSpan.Zero), ((TimestampArray)row.Column(schema.GetFieldIndex("t6"))).GetTimestamp(0));
        Assert.True(row.Column(schema.GetFieldIndex("g")).IsNull(0));
    }

    [Fact]
    public async Task The_tables_have_Restate_column_types()
    {
        var (schema, batches) = await _fixture.Arrow(
            "SELECT inv.id, inv.retry_count, inv.created_at, inv.last_failure_related_entry_index, j.index, j.version, s.value, COUNT(*) OVER () AS n " +
            $"FROM sys_invocation inv JOIN sys_journal j ON j.id = inv.id JOIN state s ON s.service_key = inv.target_service_key WHERE inv.id = '{Running}'");
        Assert.Equal(
            [typeof(StringType), typeof(UInt64Type), typeof(TimestampType), typeof(UInt64Type), typeof(UInt32Type), typeof(UInt32Type), typeof(BinaryType), typeof(Int64Type)],
            schema.FieldsList.Select(f => f.DataType.GetType()));
        Assert.Equal(4, batches.Sum(b => b.Length));
    }

    [Fact]
    public async Task Large_results_stream_in_several_batches_and_an_empty_one_is_a_schema_alone()
    {
        var (schema, batches) = await _fixture.Arrow("SELECT range AS n FROM range(20000)");
        Assert.IsType<Int64Type>(schema.GetFieldByIndex(0).DataType);
        Assert.Equal([8192, 8192, 3616], batches.Select(b => b.Length));
        Assert.Equal(19999L, ((Int64Array)batches[2].Column(0)).GetValue(3615));

        var (empty, none) = await _fixture.Arrow("SELECT id, created_at FROM sys_invocation WHERE false");
        Assert.Equal(["id", "created_at"], empty.FieldsList.Select(f => f.Name));
        Assert.Empty(none);
        Assert.Equal(0, await _fixture.Count("SELECT COUNT(*) AS n FROM sys_invocation WHERE false GROUP BY id"));
        Assert.Equal("""{"rows":[]}""", await _fixture.JsonText("SELECT id FROM sys_invocation WHERE false"));
    }

    [Fact]
    public async Task Information_schema_lists_every_table_and_the_view()
    {
        var rows = await _fixture.JsonRows("SELECT DISTINCT table_name FROM information_schema.columns ORDER BY table_name");
        Assert.Equal(
            ["keel_deadlocks", "state", "sys_deployment", "sys_idempotency", "sys_inbox", "sys_invocation", "sys_invocation_state", "sys_invocation_status", "sys_journal", "sys_promise", "sys_service"],
            rows.Select(r => r.GetProperty("table_name").GetString()));

        var columns = (await _fixture.JsonRows("SELECT column_name FROM information_schema.columns WHERE table_name = 'sys_invocation'"))
            .Select(r => r.GetProperty("column_name").GetString()).ToHashSet();
        string[] used =
        [
            "id", "target", "target_service_name", "target_service_key", "target_handler_name", "target_service_ty", "idempotency_key",
            "status", "created_at", "modified_at", "next_retry_at", "last_start_at", "pinned_deployment_id", "last_attempt_deployment_id",
            "last_attempt_server", "retry_count", "last_failure", "last_failure_related_entry_index", "last_failure_related_entry_name",
            "last_failure_related_entry_type", "invoked_by_id", "invoked_by_target", "trace_id", "completion_result", "completion_failure",
        ];
        Assert.All(used, c => Assert.Contains(c, columns));
        Assert.DoesNotContain("partition_key", columns);
        Assert.DoesNotContain("in_flight", columns);
    }

    [Fact]
    public async Task The_other_tables_hold_the_snapshot_rows()
    {
        var promises = await _fixture.JsonText("SELECT key, completed, completion_success_value, completion_success_value_utf8, completion_failure FROM sys_promise ORDER BY key");
        Assert.Equal(
            """{"rows":[{"key":"approval","completed":true,"completion_success_value":"2279657322","completion_success_value_utf8":"\"yes\""},{"key":"audit","completed":true,"completion_failure":"[409] conflict"},{"key":"rejection","completed":false}]}""",
            promises);

        var state = await _fixture.JsonText("SELECT key, key_length, value_utf8, value_length FROM state WHERE service_key = 'alice' ORDER BY key");
        Assert.Equal("""{"rows":[{"key":"blob","key_length":4,"value_length":3},{"key":"count","key_length":5,"value_utf8":"{\"a\":1}","value_length":7}]}""", state);

        Assert.Equal(
            $$"""{"rows":[{"service_name":"Counter","service_key":"alice","id":"{{Pending}}","sequence_number":0,"created_at":"2026-09-22T10:11:13.345Z"}]}""",
            await _fixture.JsonText("SELECT service_name, service_key, id, sequence_number, created_at FROM sys_inbox"));
        Assert.Equal(
            $$"""{"rows":[{"service_name":"Greeter","service_handler":"greet","idempotency_key":"idem-1","invocation_id":"{{Succeeded}}"}]}""",
            await _fixture.JsonText("SELECT service_name, service_key, service_handler, idempotency_key, invocation_id FROM sys_idempotency"));
        Assert.Equal(
            """{"rows":[{"name":"Counter","revision":1,"public":true,"ty":"virtual_object","deployment_id":"dp_11111111111111111111111"},{"name":"Signup","revision":1,"public":false,"ty":"workflow","deployment_id":"dp_12222222222222222222222"}]}""",
            await _fixture.JsonText("SELECT * FROM sys_service WHERE ty != 'service' ORDER BY name"));
        Assert.Equal(
            """{"rows":[{"id":"dp_11111111111111111111111","ty":"http","endpoint":"http://localhost:9080/","created_at":"2026-09-21T10:11:12.345Z","min_service_protocol_version":5,"max_service_protocol_version":6,"services":["Counter","Greeter"]}]}""",
            await _fixture.JsonText($"SELECT * FROM sys_deployment WHERE id = '{DeploymentA}'"));

        var attempts = await _fixture.JsonRows("SELECT id FROM sys_invocation_state");
        Assert.Equal(
            new[] { Running, BackingOff, Ready, Suspended, Paused, OneLetter }.Order(StringComparer.Ordinal),
            attempts.Select(r => r.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
        var retention = Assert.Single(await _fixture.JsonRows($"SELECT completion_retention, journal_retention FROM sys_invocation_status WHERE id = '{Succeeded}'"));
        Assert.Equal("1 day", retention.GetProperty("completion_retention").GetString());
    }

    [Fact]
    public async Task Only_the_tables_a_query_names_are_read_all_from_one_snapshot_released_after_loading()
    {
        Assert.Equal(1, await _fixture.Count("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'sys_journal' AND column_name IN ('promise_name')"));
        Assert.Equal("""{"rows":[{"n":2}]}""", await _fixture.JsonText("SELECT count(*) AS n FROM sys_deployment"));
        Assert.Empty(_fixture.Snapshots);

        await _fixture.JsonRows("SELECT * FROM sys_journal");
        var journal = Assert.Single(_fixture.Snapshots);
        Assert.Equal(["Journal"], journal.Reads);
        Assert.True(journal.Disposed);

        await _fixture.JsonRows("SELECT inv.id FROM sys_invocation inv, state s, sys_journal j WHERE s.service_key = inv.target_service_key AND j.id = inv.id");
        Assert.Equal(2, _fixture.Snapshots.Count);
        Assert.Equal(["Invocations", "Journal", "State"], _fixture.Snapshots[1].Reads);
        Assert.True(_fixture.Snapshots[1].Disposed);
    }

    [Theory]
    [InlineData("SELEC id FROM sys_invocation", "Parser Error")]
    [InlineData("SELECT * FROM sys_nothing", "Catalog Error")]
    [InlineData("SELECT nothing FROM sys_invocation", "Binder Error")]
    [InlineData("SELECT * FROM read_text('/etc/hostname')", "Permission Error")]
    [InlineData("COPY sys_service TO '/tmp/keel-query-test.csv'", "Permission Error")]
    [InlineData("ATTACH '/tmp/keel-query-test.db'", "Permission Error")]
    [InlineData("SET threads = 8", "Invalid Input Error")]
    public async Task Wrong_or_forbidden_SQL_is_a_bad_request_with_DuckDB_message(string sql, string message)
    {
        var error = await Assert.ThrowsAsync<QueryException>(() => _fixture.JsonRows(sql));
        Assert.Equal(400, error.StatusCode);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/tmp/keel-query-test.csv"));
    }

    [Fact]
    public async Task A_value_the_query_cannot_convert_while_running_is_an_error_of_the_query()
    {
        // The caller's SQL, not the engine, failed: 400 (found by Fuzz/QueryFuzzTests; an engine failure, such as
        // the memory limit below, stays a 500).
        var error = await Assert.ThrowsAsync<QueryException>(() => _fixture.JsonRows("SELECT CAST(id AS INTEGER) FROM sys_invocation"));
        Assert.Equal(400, error.StatusCode);
        Assert.StartsWith("Conversion Error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_past_its_memory_limit_fails_instead_of_spilling_to_disk()
    {
        using var fixture = new QueryFixture(options: new QueryEngineOptions { MemoryLimit = "16MB" });
        var error = await Assert.ThrowsAsync<QueryException>(() => fixture.JsonRows("SELECT list(range) AS l FROM range(10000000)"));
        Assert.Equal(500, error.StatusCode);
        Assert.Contains("memory", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Each_query_runs_on_one_thread_without_file_access()
    {
        var row = Assert.Single(await _fixture.JsonRows(
            "SELECT current_setting('threads') AS threads, current_setting('enable_external_access') AS files, current_setting('memory_limit') AS memory"));
        Assert.Equal(1, row.GetProperty("threads").GetInt64());
        Assert.False(row.GetProperty("files").GetBoolean());
        Assert.Equal("488.2 MiB", row.GetProperty("memory").GetString());
    }

    [Fact]
    public async Task Keel_deadlocks_has_a_row_per_member_of_each_standing_cycle_with_its_target_split()
    {
        var at = new DateTimeOffset(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);
        IReadOnlyList<DeadlockCycle> cycles =
        [
            new([new("inv_a", "A/k/1/hop", WaitReason.Call), new("inv_b", "B/hop", WaitReason.Call), new("inv_c", "A/k/1/hop", WaitReason.Lock)], at),
            new([new("inv_d", "C/x/run", WaitReason.Lock), new("inv_e", "C/x/run", WaitReason.Call)], at.AddSeconds(1)),
        ];
        using var withCycles = new QueryFixture(deadlocks: () => DeadlockRow.From(cycles));
        var rows = (await withCycles.JsonRows(
            "SELECT cycle, position, id, target, target_service_name, COALESCE(target_service_key, 'null') AS k, target_handler_name, waits_on, CAST(detected_at AS VARCHAR) AS at FROM keel_deadlocks ORDER BY cycle, position"))
            .Select(r => string.Join('|', r.EnumerateObject().Select(p => p.Value.ToString())))
            .ToList();

        Assert.Equal(
        [
            "1|0|inv_a|A/k/1/hop|A|k/1|hop|call|2026-03-01 12:00:00.123",
            "1|1|inv_b|B/hop|B|null|hop|call|2026-03-01 12:00:00.123",
            "1|2|inv_c|A/k/1/hop|A|k/1|hop|lock|2026-03-01 12:00:00.123",
            "2|0|inv_d|C/x/run|C|x|run|lock|2026-03-01 12:00:01.123",
            "2|1|inv_e|C/x/run|C|x|run|call|2026-03-01 12:00:01.123",
        ], rows);

        // Without a graph (the default), the table is there and empty.
        Assert.Equal(0, await _fixture.Count("SELECT COUNT(*) FROM keel_deadlocks"));
    }

    [Fact]
    public async Task Queries_run_on_a_thread_of_their_own_at_a_lower_priority()
    {
        int? niceness = null;
        var threadPool = false;
        using var engine = new QueryEngine(
            () =>
            {
                // The snapshot is opened on the query's thread: look at that thread's scheduling.
                niceness = int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[16], System.Globalization.CultureInfo.InvariantCulture);
                threadPool = Thread.CurrentThread.IsThreadPoolThread;
                return new FakeSnapshot(new TestData());
            },
            () => [],
            () => [],
            new QueryEngineOptions { Niceness = 7 });
        using (await engine.ExecuteAsync("SELECT * FROM sys_journal", CancellationToken.None))
        {
        }

        Assert.False(threadPool);
        Assert.True(niceness >= 7, $"niceness {niceness}");
    }

    [Fact]
    public async Task Queries_beyond_the_limit_wait_for_a_running_one_to_finish()
    {
        using var fixture = new QueryFixture(options: new QueryEngineOptions { MaxConcurrentQueries = 1 });
        var first = await fixture.Engine.ExecuteAsync("SELECT 1", CancellationToken.None);

        using var cancel = new CancellationTokenSource();
        var waiting = fixture.Engine.ExecuteAsync("SELECT * FROM sys_journal", cancel.Token);
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Empty(fixture.Snapshots);

        var next = fixture.Engine.ExecuteAsync("SELECT * FROM sys_journal", CancellationToken.None);
        Assert.False(next.IsCompleted);
        first.Dispose();
        using var result = await next;
        Assert.Single(fixture.Snapshots);
    }

    // A cancellation may land while the query is being set up (before DuckDB runs the statement,
    // when an interrupt alone would be forgotten) or while it runs: either way it stops.
    [Theory(Timeout = 60_000)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(100)]
    public async Task Cancelling_a_running_query_interrupts_it(int afterMs)
    {
        using var cancel = new CancellationTokenSource();
        var running = _fixture.Engine.ExecuteAsync("SELECT sum(hash(range)) FROM range(1000000000000)", cancel.Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(afterMs));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        // Its place is free again.
        Assert.Equal("""{"rows":[{"n":1}]}""", await _fixture.JsonText("SELECT 1 AS n"));
    }

    [Fact]
    public async Task A_cancelled_request_runs_nothing()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _fixture.Engine.ExecuteAsync("SELECT * FROM sys_invocation", cancel.Token));
        Assert.Empty(_fixture.Snapshots);
    }

    [Fact]
    public async Task Timestamps_keep_whole_milliseconds_as_Restate_stores_them()
    {
        var data = new TestData { Journal = [new Keel.Server.Introspection.JournalRow { Id = "x", PartitionKey = 1, Index = 0, EntryType = "Command: Input", Raw = [], AppendedAt = T0.AddTicks(4567) }] };
        using var fixture = new QueryFixture(data);
        var row = Assert.Single(await fixture.JsonRows("SELECT appended_at, version FROM sys_journal"));
        Assert.Equal("2026-09-22T10:11:12.345Z", row.GetProperty("appended_at").GetString());
        Assert.Equal(2u, row.GetProperty("version").GetUInt32());
        Assert.Equal(JsonValueKind.Number, row.GetProperty("version").ValueKind);
    }
}
