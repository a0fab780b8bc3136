using System.Text;
using Keel.Protocol.Ids;
using Keel.Server.Introspection;
using Keel.Server.Query;

namespace Keel.Server.Tests.Query;

/// <summary>
/// The queries the web console's invocation page sends every two seconds, its invocation list and its
/// state page, over many completed invocations and a few unfinished ones: each reads only what it
/// shows (one invocation's rows; the unfinished invocations and their journals; one object's state),
/// and answers what the same query answers with the whole tables loaded.
/// </summary>
public sealed class ConsolePushdownTests : IDisposable
{
    private const int Completed = 300;
    private static readonly DateTime T0 = new(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc);
    private static readonly string[] Unfinished = ["invoked", "suspended", "inboxed", "scheduled", "paused"];

    private static readonly TestData Data = Build();

    /// <summary>From src/Keel.Server.Admin/Console/wwwroot/js/invocation.js.</summary>
    private const string TreeColumns = "id, target, target_service_name, target_service_key, target_handler_name, target_service_ty, status, invoked_by, invoked_by_id, invoked_by_target";

    private readonly QueryFixture _pushed = new(Data);
    private readonly QueryFixture _whole = new(Data, new QueryEngineOptions { PushDown = false });

    public void Dispose()
    {
        _pushed.Dispose();
        _whole.Dispose();
    }

    private static string IdOf(int i) => InvocationId.Deterministic((ulong)(i % 7), $"inv-{i}").ToString();

    private static TestData Build()
    {
        var invocations = new List<InvocationRow>();
        var journal = new List<JournalRow>();
        for (var i = 0; i < Completed + Unfinished.Length; i++)
        {
            var status = i < Completed ? "completed" : Unfinished[i - Completed];
            var id = IdOf(i);
            invocations.Add(new InvocationRow
            {
                Id = id, PartitionKey = (ulong)(i % 7), Target = $"Counter/k{i % 5}/add", TargetServiceName = "Counter", TargetServiceKey = $"k{i % 5}",
                TargetHandlerName = "add", TargetServiceTy = "virtual_object", InvokedBy = "ingress", Status = status, InFlight = status == "invoked",
                CreatedAt = T0.AddSeconds(i), ModifiedAt = T0.AddSeconds(i + 1), CompletionResult = status == "completed" ? "success" : null,
            });
            journal.Add(new JournalRow { Id = id, PartitionKey = (ulong)(i % 7), Index = 0, EntryType = "Command: Input", Raw = [1] });
            journal.Add(new JournalRow
            {
                Id = id, PartitionKey = (ulong)(i % 7), Index = 1, EntryType = "Command: Call", Raw = [2], InvokedId = IdOf((i + 1) % Completed),
                InvokedTarget = "Counter/k0/add", Completed = status == "completed",
            });
        }

        // A scan gives rows in key order: the stores' order, which the by-key reads keep.
        return new TestData
        {
            Invocations = [.. invocations.OrderBy(r => InvocationId.Parse(r.Id).PartitionKey).ThenBy(r => InvocationId.Parse(r.Id).Uuid)],
            Journal = [.. journal.OrderBy(r => InvocationId.Parse(r.Id).PartitionKey).ThenBy(r => InvocationId.Parse(r.Id).Uuid).ThenBy(r => r.Index)],
            State = [.. Enumerable.Range(0, 50).Select(i => new StateRow((ulong)(i % 5), "Counter", $"k{i % 5}", $"s{i:D2}", Encoding.UTF8.GetBytes($"{i}")))
                .OrderBy(r => r.ServiceKey, StringComparer.Ordinal).ThenBy(r => r.Key, StringComparer.Ordinal)],
        };
    }

    [Fact]
    public async Task The_invocation_page_reads_one_invocation_and_the_unfinished_ones()
    {
        var id = IdOf(Completed + 1);
        string[] page =
        [
            $"SELECT * FROM sys_invocation WHERE id = '{id}'",
            $"SELECT \"index\", entry_type, name, completed, invoked_id, invoked_target, sleep_wakeup_at, promise_name, appended_at, entry_json FROM sys_journal WHERE id = '{id}' ORDER BY \"index\"",
            $"SELECT {TreeColumns} FROM sys_invocation WHERE status <> 'completed' LIMIT 10000",
            "SELECT id, \"index\", entry_type, completed, invoked_id, invoked_target, entry_json FROM sys_journal "
                + "WHERE (entry_type = 'Command: Call' OR entry_type LIKE 'Notification:%') AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed') LIMIT 50000",
        ];
        foreach (var sql in page)
        {
            // Two have a LIMIT above their row count and no ORDER BY: the same rows, in any order.
            Assert.Equal(Sorted(await _whole.JsonRows(sql)), Sorted(await _pushed.JsonRows(sql)));
        }

        var reads = _pushed.Snapshots.Select(s => string.Join(", ", s.RowsRead.Select(r => $"{r.Key}: {r.Value}"))).ToList();
        Assert.Equal(
        [
            "Invocations(ids): 1",
            "Journal(ids): 2",
            $"InvocationsWithStatus: {Unfinished.Length}",
            $"InvocationsWithStatus: {Unfinished.Length}, Journal(ids): {2 * Unfinished.Length}",
        ], reads);

        // Without the pushdown, each reads whole tables.
        Assert.Equal(Data.Invocations.Count + Data.Journal.Count, _whole.Snapshots[3].TotalRowsRead);
    }

    private static List<string> Sorted(System.Text.Json.JsonElement[] rows) => [.. rows.Select(r => r.GetRawText()).Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData("SELECT id, target, status, created_at, modified_at, retry_count, invoked_by, invoked_by_id, invoked_by_target, last_failure, completion_failure "
        + "FROM sys_invocation WHERE status <> 'completed' ORDER BY created_at DESC LIMIT 500", 5)]
    [InlineData("SELECT id, target, status, created_at FROM sys_invocation WHERE target_service_name = 'Counter' AND status = 'paused' ORDER BY created_at DESC LIMIT 500", 1)]
    [InlineData("SELECT key, value_utf8, value, value_length FROM state WHERE service_name = 'Counter' AND service_key = 'k3' ORDER BY key", 10)]
    [InlineData("SELECT key, value FROM state WHERE service_name = 'Counter' AND service_key = 'k3'", 10)]
    public async Task The_list_and_state_pages_read_what_they_show(string sql, int rowsRead)
    {
        Assert.Equal(await _whole.JsonText(sql), await _pushed.JsonText(sql));
        Assert.Equal(rowsRead, Assert.Single(_pushed.Snapshots).TotalRowsRead);
    }

    [Theory]
    [InlineData("SELECT id, created_at FROM sys_invocation ORDER BY created_at DESC LIMIT 20")]
    [InlineData("SELECT id, status FROM sys_invocation WHERE target_service_key = 'k2' ORDER BY created_at LIMIT 7")]
    [InlineData("SELECT * FROM sys_invocation_status ORDER BY modified_at DESC LIMIT 1")]
    public async Task The_first_invocations_by_time_are_picked_while_reading(string sql)
    {
        Assert.Equal(await _whole.JsonText(sql), await _pushed.JsonText(sql));
    }
}
