using CsCheck;
using Keel.Protocol.Ids;
using Keel.Server.Introspection;
using Keel.Server.Query;

namespace Keel.Server.Tests.Query;

/// <summary>
/// Random invocations and journals, random queries of every shape the load understands (conditions kept and
/// left out, on the view and the table, residual conditions, limits with and without an order, the
/// journal of the invocations a subquery selects): with the pushdown the answer is the one the whole
/// tables give; where a LIMIT has no ORDER BY, any rows the query selects are an answer, so the pushed
/// ones must be that many of them.
/// </summary>
public sealed class PushdownPropertyTests
{
    private static readonly string[] Stored = ["inboxed", "scheduled", "invoked", "suspended", "paused", "completed"];
    private static readonly string[] Derived = ["pending", "scheduled", "running", "backing-off", "ready", "suspended", "paused", "completed"];
    private static readonly string[] Services = ["A", "B"];
    private static readonly string?[] Keys = [null, "k1", "k2"];
    private static readonly string[] Handlers = ["h", "g"];

    [Fact]
    public async Task Pushed_loads_answer_like_whole_tables()
    {
        var gen = Gen.Select(Gen.Int[0, int.MaxValue].Array[1, 40], Gen.Int[0, int.MaxValue].Array[12, 12]);
        await gen.SampleAsync(async (rows, picks) =>
        {
            var data = Data(rows);
            using var pushed = new QueryFixture(data);
            using var whole = new QueryFixture(data, new QueryEngineOptions { PushDown = false });
            var ids = data.Invocations.Select(r => r.Id).ToArray();
            foreach (var (sql, ordered) in Queries(picks, ids))
            {
                if (ordered)
                {
                    Assert.Equal(await whole.JsonText(sql), await pushed.JsonText(sql));
                    continue;
                }

                var limit = int.Parse(sql[(sql.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                var all = (await whole.JsonRows(sql[..sql.LastIndexOf(" LIMIT ", StringComparison.Ordinal)])).Select(r => r.GetRawText()).ToList();
                var got = (await pushed.JsonRows(sql)).Select(r => r.GetRawText()).ToList();
                Assert.Equal(Math.Min(limit, all.Count), got.Count);
                Assert.True(got.All(all.Contains), sql);
            }
        }, iter: 40);
    }

    private static TestData Data(int[] rows)
    {
        var t0 = new DateTime(2026, 12, 6, 8, 0, 0, DateTimeKind.Utc);
        var invocations = new List<InvocationRow>();
        var journal = new List<JournalRow>();
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            var status = Stored[r % Stored.Length];
            var service = Services[(r / 7) % Services.Length];
            var key = Keys[(r / 17) % Keys.Length];
            var handler = Handlers[(r / 53) % Handlers.Length];
            var id = InvocationId.Deterministic((ulong)(r % 5), $"p{i}").ToString();
            invocations.Add(new InvocationRow
            {
                Id = id, PartitionKey = (ulong)(r % 5), Target = key is null ? $"{service}/{handler}" : $"{service}/{key}/{handler}",
                TargetServiceName = service, TargetServiceKey = key, TargetHandlerName = handler, TargetServiceTy = key is null ? "service" : "virtual_object",
                InvokedBy = "ingress", Status = status, InFlight = status == "invoked" && (r / 3) % 2 == 0, RetryCount = (ulong)((r / 11) % 2),
                JournalSize = (uint)((r / 13) % 3),
                // Few distinct times, so orders have ties.
                CreatedAt = t0.AddSeconds((r / 101) % 12), ModifiedAt = t0.AddSeconds((r / 1009) % 12).AddMilliseconds(1),
            });
            for (var e = 0; e < (r / 13) % 3; e++)
            {
                journal.Add(new JournalRow { Id = id, PartitionKey = (ulong)(r % 5), Index = (uint)e, EntryType = e == 0 ? "Command: Input" : "Command: Call", Raw = [(byte)e] });
            }
        }

        static (ulong, UInt128) Key(string id) => InvocationId.Parse(id) is var parsed ? (parsed.PartitionKey, parsed.Uuid) : default;
        return new TestData
        {
            Invocations = [.. invocations.OrderBy(r => Key(r.Id))],
            Journal = [.. journal.OrderBy(r => Key(r.Id)).ThenBy(r => r.Index)],
        };
    }

    /// <summary>Queries picked by <paramref name="picks"/>, each with whether its answer is fixed (ordered on unique values, or no limit).</summary>
    private static IEnumerable<(string Sql, bool Ordered)> Queries(int[] picks, string[] ids)
    {
        var p = 0;
        int Next(int n) => picks[p++ % picks.Length] % n;
        string Conditions(bool view)
        {
            var statuses = view ? Derived : Stored;
            var count = Next(4);
            var parts = new List<string>();
            for (var c = 0; c < count; c++)
            {
                parts.Add(Next(10) switch
                {
                    0 => $"status = '{statuses[Next(statuses.Length)]}'",
                    1 => $"status <> '{statuses[Next(statuses.Length)]}'",
                    2 => $"status IN ('{statuses[Next(statuses.Length)]}', '{statuses[Next(statuses.Length)]}')",
                    3 => $"status NOT IN ('{statuses[Next(statuses.Length)]}', '{statuses[Next(statuses.Length)]}')",
                    4 => $"target_service_name = '{Services[Next(Services.Length)]}'",
                    5 => $"target_service_key != 'k{1 + Next(2)}'",
                    6 => $"target_handler_name IN ('{Handlers[Next(Handlers.Length)]}')",
                    7 => $"id = '{ids[Next(ids.Length)]}'",
                    8 => $"id IN ('{ids[Next(ids.Length)]}', '{ids[Next(ids.Length)]}', 'inv_nonsense')",
                    _ => "journal_size > 0",
                });
            }

            return parts.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", parts);
        }

        for (var round = 0; round < 2; round++)
        {
            var view = Next(2) == 0;
            var table = view ? "sys_invocation" : "sys_invocation_status";
            var limit = Next(6);
            var column = Next(2) == 0 ? "created_at" : "modified_at";
            var direction = Next(3) switch { 0 => string.Empty, 1 => " ASC", _ => " DESC" };
            yield return ($"SELECT id, status, target FROM {table}{Conditions(view)} ORDER BY id", true);
            yield return ($"SELECT {column} FROM {table}{Conditions(view)} ORDER BY {column}{direction} LIMIT {limit}", true);
            yield return ($"SELECT id, status FROM {table}{Conditions(view)} LIMIT {limit}", false);
            yield return ($"SELECT id, index FROM sys_journal WHERE id IN (SELECT id FROM {table}{Conditions(view)}) ORDER BY id, index", true);
        }
    }
}
