using System.Text.Json;
using static Keel.Server.Tests.Query.CliQueries;
using static Keel.Server.Tests.Query.TestData;

namespace Keel.Server.Tests.Query;

/// <summary>Every query the Restate CLI 1.7 sends, run as it sends it, against <see cref="TestData"/>.</summary>
public sealed class CliQueryTests : IDisposable
{
    private static readonly string[] Active = [Pending, Scheduled, Running, BackingOff, Ready, Suspended, Paused, OneLetter];

    private readonly QueryFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static string[] Ids(IEnumerable<JsonElement> rows) => [.. rows.Select(r => r.GetProperty("id").GetString()!)];

    private static string? Text(JsonElement row, string name) => row.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static JsonElement ById(IEnumerable<JsonElement> rows, string id) => rows.Single(r => r.GetProperty("id").GetString() == id);

    [Fact]
    public async Task The_invocation_view_derives_the_status_the_CLI_shows()
    {
        var rows = await _fixture.JsonRows("SELECT id, status FROM sys_invocation");
        var derived = rows.ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("status").GetString()!);
        Assert.Equal(DerivedStatus.OrderBy(p => p.Key), derived.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task List_by_default_counts_and_pages_the_invocations_not_completed()
    {
        var filter = ListFilter("status != 'completed'");

        Assert.Equal(Active.Length, await _fixture.Count(CountLowerBound(filter)));

        var page = Ids(await _fixture.JsonRows(IdPage(filter, DefaultOrder, 100)));
        Assert.Equal([OneLetter, Paused, Suspended, Ready, BackingOff, Running, Scheduled, Pending], page);

        var details = await _fixture.JsonRows(Details(IdsFilter(filter, page), DefaultOrder));
        Assert.Equal(page, Ids(details));

        var running = ById(details, Running);
        Assert.Equal("Counter/bob/add", running.GetProperty("target").GetString());
        Assert.Equal("virtual_object", running.GetProperty("target_service_ty").GetString());
        Assert.Equal("running", running.GetProperty("status").GetString());
        Assert.Equal("2026-09-22T10:11:15.345Z", running.GetProperty("created_at").GetString());
        Assert.Equal("2026-09-22T10:11:15.845Z", running.GetProperty("state_modified_at").GetString());
        Assert.Equal("2026-09-22T10:11:15.845Z", running.GetProperty("last_start_at").GetString());
        Assert.Equal(0UL, running.GetProperty("num_retries").GetUInt64());
        Assert.True(running.GetProperty("pinned_deployment_exists").GetBoolean());
        Assert.Equal("restate-sdk-dotnet/0.1", running.GetProperty("last_attempt_server").GetString());

        var backingOff = ById(details, BackingOff);
        Assert.Equal("backing-off", backingOff.GetProperty("status").GetString());
        Assert.Equal(3UL, backingOff.GetProperty("num_retries").GetUInt64());
        Assert.Equal("[500] boom", backingOff.GetProperty("last_failure_message").GetString());
        Assert.Equal(2UL, backingOff.GetProperty("last_failure_entry_index").GetUInt64());
        Assert.Equal("charge", backingOff.GetProperty("last_failure_entry_name").GetString());
        Assert.Equal("Run", backingOff.GetProperty("last_failure_entry_ty").GetString());
        Assert.Equal("2026-09-22T10:12:16.345Z", backingOff.GetProperty("next_retry_at").GetString());
        Assert.False(backingOff.GetProperty("pinned_deployment_exists").GetBoolean());

        // Nulls are left out, not written as null; the required fields are always there.
        var pending = ById(details, Pending);
        Assert.Equal(
            ["created_at", "id", "pinned_deployment_exists", "state_modified_at", "status", "target", "target_service_ty"],
            pending.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.False(pending.TryGetProperty("num_retries", out _));
        Assert.False(pending.TryGetProperty("idempotency_key", out _));
    }

    [Fact]
    public async Task List_with_all_includes_the_completed_ones_with_their_result()
    {
        Assert.Equal(DerivedStatus.Count, await _fixture.Count(CountLowerBound(ListFilter())));
        var page = Ids(await _fixture.JsonRows(IdPage(ListFilter(), OldestFirst, 100)));
        Assert.Equal(DerivedStatus.Count, page.Length);
        Assert.Equal(Pending, page[0]);

        var details = await _fixture.JsonRows(Details(IdsFilter(ListFilter(), page), OldestFirst));
        var succeeded = ById(details, Succeeded);
        Assert.Equal("completed", succeeded.GetProperty("status").GetString());
        Assert.Equal("success", succeeded.GetProperty("completion_result").GetString());
        Assert.Equal("idem-1", succeeded.GetProperty("idempotency_key").GetString());
        var failed = ById(details, Failed);
        Assert.Equal("failure", failed.GetProperty("completion_result").GetString());
        Assert.Equal("[400] bad input", failed.GetProperty("completion_failure").GetString());
    }

    [Fact]
    public async Task List_filters_by_derived_status()
    {
        var filter = ListFilter("status IN ('backing-off','paused','pending')");
        Assert.Equal(3, await _fixture.Count(CountLowerBound(filter)));
        Assert.Equal([Paused, BackingOff, Pending], Ids(await _fixture.JsonRows(IdPage(filter, DefaultOrder, 100))));
    }

    [Theory]
    [InlineData("inv.target_service_name IN ('Counter')", 2)]
    [InlineData("inv.target_service_name IN ('Counter','Greeter')", 6)]
    [InlineData("inv.target_handler_name IN ('greet')", 4)]
    [InlineData("inv.target_service_key IN ('alice')", 1)]
    [InlineData("inv.target_service_name IN (select name from sys_service where ty = 'virtual_object')", 2)]
    [InlineData("(inv.pinned_deployment_id IS NOT NULL AND inv.pinned_deployment_id NOT IN (select id from sys_deployment))", 1)]
    [InlineData("(inv.pinned_deployment_id IN ('dp_11111111111111111111111') OR inv.last_attempt_deployment_id IN ('dp_11111111111111111111111'))", 1)]
    public async Task List_filters_that_name_the_inner_alias_work_in_the_count_and_the_page(string clause, int expected)
    {
        var filter = ListFilter(clause, "status != 'completed'");
        Assert.Equal(expected, await _fixture.Count(CountLowerBound(filter)));
        var page = Ids(await _fixture.JsonRows(IdPage(filter, DefaultOrder, 100)));
        Assert.Equal(expected, page.Length);
        Assert.Equal(page, Ids(await _fixture.JsonRows(Details(IdsFilter(filter, page), DefaultOrder))));
    }

    [Fact]
    public async Task List_by_completion_result_and_with_a_small_limit()
    {
        var filter = ListFilter("status = 'completed'", "inv.completion_result = 'failure'");
        Assert.Equal(1, await _fixture.Count(CountLowerBound(filter)));
        Assert.Equal([Failed], Ids(await _fixture.JsonRows(IdPage(filter, DefaultOrder, 100))));

        Assert.Equal([OneLetter, Paused], Ids(await _fixture.JsonRows(IdPage(ListFilter("status != 'completed'"), DefaultOrder, 2))));
    }

    [Fact]
    public async Task Describe_finds_the_invocation_probes_the_journal_columns_and_reads_the_journal()
    {
        var filter = $"WHERE inv.id = '{Running}'";
        Assert.Equal([Running], Ids(await _fixture.JsonRows(IdPage(filter, "", 1))));
        var row = Assert.Single(await _fixture.JsonRows(Details(IdsFilter(filter, Running), "")));
        Assert.Equal("running", row.GetProperty("status").GetString());
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", row.GetProperty("trace_id").GetString());

        Assert.Equal(1, await _fixture.Count(ColumnsProbe("sys_journal", "'promise_name'")));
        Assert.Equal(3, await _fixture.Count(ColumnsProbe("sys_journal", "'version', 'entry_json', 'appended_at'")));

        var journal = await _fixture.JsonRows(Journal("sj.promise_name", JournalV12Columns, Running));
        Assert.Equal([3u, 2u, 1u, 0u], journal.Select(e => e.GetProperty("index").GetUInt32()));
        Assert.All(journal, e => Assert.Equal(2u, e.GetProperty("version").GetUInt32()));
        Assert.Equal(["Command: Sleep", "Notification: Run", "Command: Run", "Command: Input"], journal.Select(e => e.GetProperty("entry_type").GetString()));
        Assert.Equal("2026-09-22T10:16:12.345Z", journal[0].GetProperty("sleep_wakeup_at").GetString());
        Assert.Equal("2026-09-22T10:11:17.345Z", journal[1].GetProperty("appended_at").GetString());
        Assert.True(journal[1].GetProperty("completed").GetBoolean());
        Assert.False(journal[2].GetProperty("completed").GetBoolean());
        Assert.Equal("charge", journal[2].GetProperty("name").GetString());
        Assert.Equal("""{"ty":"Command","name":"Input"}""", journal[3].GetProperty("entry_json").GetString());
    }

    [Fact]
    public async Task Describe_of_an_unknown_invocation_finds_no_row()
    {
        var filter = "WHERE inv.id = 'inv_1nothere'";
        Assert.Empty(await _fixture.JsonRows(IdPage(filter, "", 1)));
        Assert.Equal("""{"rows":[]}""", await _fixture.JsonText(Details(IdsFilter(filter, "inv_1nothere"), "")));
    }

    [Fact]
    public async Task The_fallbacks_for_older_servers_run_too()
    {
        Assert.Equal(1, await _fixture.Count(ColumnsProbe("sys_invocation", "'idempotency_key'")));

        var fallback = await _fixture.JsonRows(Journal("CAST(NULL as STRING) AS promise_name", JournalV12Fallback, Running));
        Assert.Equal(4, fallback.Length);
        Assert.All(fallback, e => Assert.Equal(1u, e.GetProperty("version").GetUInt32()));
        Assert.All(fallback, e => Assert.False(e.TryGetProperty("entry_json", out _)));

        var filter = ListFilter("status != 'completed'");
        foreach (var idempotencyKey in (string[])["idempotency_key", "CAST(NULL as STRING) AS idempotency_key"])
        {
            var rows = await _fixture.JsonRows(FindPre15(idempotencyKey, filter, DefaultOrder, 100));
            Assert.Equal([OneLetter, Paused, Suspended, Ready, BackingOff, Running, Scheduled, Pending], Ids(rows));
            Assert.True(ById(rows, Running).GetProperty("pinned_deployment_exists").GetBoolean());
            Assert.False(ById(rows, BackingOff).GetProperty("pinned_deployment_exists").GetBoolean());
            Assert.False(ById(rows, Ready).GetProperty("pinned_deployment_exists").GetBoolean());
        }
    }

    [Fact]
    public async Task Cancel_kill_and_the_other_batch_commands_find_their_targets_by_raw_status()
    {
        async Task<string[]> Find(string target, string statusClause) =>
            Ids(await _fixture.JsonRows(Simple($"{target} AND {statusClause} LIMIT 500")));

        const string NotCompleted = "status != 'completed'";

        // An invocation id.
        Assert.Equal([Running], await Find(TargetFilter(Running, isInvocationId: true), NotCompleted));

        // No slash: every handler of a service.
        Assert.Equal(
            new[] { Scheduled, BackingOff, Ready, Paused }.Order(StringComparer.Ordinal),
            (await Find(TargetFilter("Greeter", false), NotCompleted)).Order(StringComparer.Ordinal));

        // The first slash at index 1 (a one-letter service): 1.7.12's balanced form.
        Assert.Equal([OneLetter], await Find(TargetFilter("G/h", false), NotCompleted));

        // Anything else: the exact target.
        Assert.Equal([Pending], await Find(TargetFilter("Counter/alice/add", false), NotCompleted));

        // purge and restart: completed only; pause; resume.
        Assert.Equal([Failed], await Find(TargetFilter("Counter", false), "status = 'completed'"));
        Assert.Equal(
            new[] { Running, Suspended, Ready, BackingOff, OneLetter }.Order(StringComparer.Ordinal),
            (await Find("target LIKE '%'", "status IN ('invoked', 'suspended')")).Order(StringComparer.Ordinal));
        Assert.Equal([Paused], await Find(TargetFilter("Greeter", false), "status IN ('paused', 'suspended')"));
        Assert.Equal(3, (await Find(TargetFilter("Greeter", false), "status IN ('paused', 'invoked', 'suspended')")).Length);

        var row = Assert.Single(await _fixture.JsonRows(Simple($"{TargetFilter(Running, true)} AND {NotCompleted} LIMIT 500")));
        Assert.Equal(["id", "target"], row.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task The_unbalanced_one_slash_filter_of_older_CLIs_is_a_bad_request()
    {
        var error = await Assert.ThrowsAsync<Keel.Server.Query.QueryException>(() =>
            _fixture.JsonRows(Simple($"{UnbalancedOneSlashFilter("G/h")} AND status != 'completed' LIMIT 500")));
        Assert.Equal(400, error.StatusCode);
    }

    [Fact]
    public async Task Services_status_aggregates_per_handler_status_and_key()
    {
        var services = InList("Counter", "Greeter", "Signup");

        var pending = Assert.Single(await _fixture.JsonRows(ServiceStatusPending(services)));
        Assert.Equal("Counter", pending.GetProperty("target_service_name").GetString());
        Assert.Equal("add", pending.GetProperty("target_handler_name").GetString());
        Assert.Equal("pending", pending.GetProperty("status").GetString());
        Assert.Equal(1, pending.GetProperty("num_invocations").GetInt64());
        Assert.Equal("2026-09-22T10:11:13.345Z", pending.GetProperty("oldest_at").GetString());
        Assert.Equal(Pending, pending.GetProperty("oldest_invocation").GetString());

        var active = await _fixture.JsonRows(ServiceStatusActive(services));
        var greetCompleted = active.Single(r => r.GetProperty("target_handler_name").GetString() == "greet" && r.GetProperty("status").GetString() == "completed");
        Assert.Equal(1, greetCompleted.GetProperty("num_invocations").GetInt64());
        Assert.Equal(Succeeded, greetCompleted.GetProperty("oldest_invocation").GetString());
        var addCompleted = active.Single(r => r.GetProperty("target_handler_name").GetString() == "add" && r.GetProperty("status").GetString() == "completed");
        Assert.Equal(Failed, addCompleted.GetProperty("oldest_invocation").GetString());
        Assert.Equal(
            ["add", "add", "add", "greet", "greet", "greet", "greet", "greet", "run"],
            active.Select(r => r.GetProperty("target_handler_name").GetString()));

        var inbox = Assert.Single(await _fixture.JsonRows(LockedKeysInbox(services)));
        Assert.Equal(("Counter", "alice", 1L), (inbox.GetProperty("service_name").GetString(), inbox.GetProperty("service_key").GetString(), inbox.GetProperty("num_pending").GetInt64()));

        var keys = await _fixture.JsonRows(LockedKeysActive(services));
        var bob = keys.Single(r => Text(r, "service_key") == "bob");
        Assert.Equal("running", bob.GetProperty("invocation_status").GetString());
        Assert.Equal(Running, bob.GetProperty("invocation_holding_lock").GetString());
        Assert.Equal("add", bob.GetProperty("invocation_method_holding_lock").GetString());
        Assert.Equal(0, bob.GetProperty("num_pending").GetInt32());
        Assert.Equal(0UL, bob.GetProperty("num_retries").GetUInt64());
        Assert.Equal("2026-09-22T10:11:15.845Z", bob.GetProperty("last_start_at").GetString());
        var backingOff = keys.Single(r => r.GetProperty("invocation_status").GetString() == "backing-off");
        Assert.Equal(3UL, backingOff.GetProperty("num_retries").GetUInt64());
        Assert.False(backingOff.TryGetProperty("service_key", out _));
        Assert.DoesNotContain(keys, r => r.GetProperty("invocation_status").GetString() == "pending");
    }

    [Fact]
    public async Task Deployment_counts_and_the_remove_breakdown()
    {
        Assert.Equal(1, await _fixture.Count(DeploymentActiveCount(DeploymentA)));
        Assert.Equal(1, await _fixture.Count(DeploymentActiveCount(DeploymentB)));
        Assert.Equal(0, await _fixture.Count(DeploymentActiveCount("dp_1unknown")));

        var row = Assert.Single(await _fixture.JsonRows(DeploymentActiveByHandler(DeploymentA)));
        Assert.Equal(("Counter", "add", 1L), (row.GetProperty("service").GetString(), row.GetProperty("handler").GetString(), row.GetProperty("inv_count").GetInt64()));
        Assert.Equal("""{"rows":[]}""", await _fixture.JsonText(DeploymentActiveByHandler("dp_1unknown")));
    }

    [Fact]
    public async Task State_get_returns_keys_and_hex_values()
    {
        var rows = await _fixture.JsonRows(StateGet("Counter", "alice"));
        Assert.Equal(
            [("blob", "00ff10"), ("count", "7b2261223a317d")],
            rows.Select(r => (r.GetProperty("key").GetString(), r.GetProperty("value").GetString())).OrderBy(p => p.Item1, StringComparer.Ordinal));
        Assert.Empty(await _fixture.JsonRows(StateGet("Counter", "nobody")));

        var keys = await _fixture.JsonRows(StateKeys("service_name = 'Counter'"));
        Assert.Equal(3, keys.Length);
        Assert.Contains(keys, r => r.GetProperty("service_key").GetString() == "bob" && r.GetProperty("value").GetString() == "35");
    }
}
