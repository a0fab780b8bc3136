using System.Text.Json;
using Keel.Cli.Api;

namespace Keel.Cli.Invocations;

/// <summary>What an unfinished invocation waits on: a call it made (to <see cref="Id"/>) or the lock of its key (held by <see cref="Id"/>).</summary>
internal sealed record Wait(string Reason, string Id, string Target, string Status, DateTimeOffset? Since);

/// <summary>
/// Who waits on whom among unfinished invocations, from <c>sys_invocation</c> and <c>sys_journal</c>:
/// an invocation waits on a call when its journal has a request-response call whose callee has not completed, and on
/// a lock when it is pending (inboxed) behind the invocation that holds its object key. Following these edges from a
/// deadlocked invocation comes back to it: that is the cycle `describe` shows.
/// </summary>
internal sealed class WaitGraph
{
    private readonly Dictionary<string, List<Wait>> _waits = [];

    private WaitGraph(IReadOnlyDictionary<string, InvocationRow> unfinished) => Unfinished = unfinished;

    public IReadOnlyDictionary<string, InvocationRow> Unfinished { get; }

    public IReadOnlyList<Wait> WaitsOf(string id) => _waits.TryGetValue(id, out var w) ? w : [];

    public static async Task<WaitGraph> LoadAsync(AdminApi admin, CancellationToken ct)
    {
        var rows = await admin.QueryAsync($"SELECT {InvocationRow.Columns} FROM sys_invocation WHERE status <> 'completed'", ct);
        var unfinished = rows.Select(InvocationRow.From).GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.First());
        var graph = new WaitGraph(unfinished);
        var sharedHandlers = await SharedHandlersAsync(admin, ct);

        // Calls: only journals of unfinished invocations matter; one query for all of them.
        var calls = await admin.QueryAsync(
            "SELECT id, index, invoked_id, invoked_target, appended_at, entry_json FROM sys_journal " +
            $"WHERE {JournalCalls.CallEntries} AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed')", ct);
        foreach (var call in calls)
        {
            var caller = call.Str("id");
            var (callee, _) = JournalCalls.CalleeOf(call);
            if (caller is null || callee is null || !unfinished.TryGetValue(caller, out var from) || !unfinished.TryGetValue(callee, out var to))
            {
                continue;
            }

            graph.Add(caller, new Wait("call", callee, to.Target, to.Status, call.Time("appended_at") ?? from.ModifiedAt));
        }

        // Locks: a pending invocation of an object key waits on the one running an exclusive handler of that key.
        var holders = unfinished.Values
            .Where(r => r.Key is not null && r.Status is not ("pending" or "scheduled") && !sharedHandlers.Contains((r.Service, r.Handler)))
            .GroupBy(r => (r.Service, r.Key))
            .ToDictionary(g => g.Key, g => g.OrderBy(r => r.CreatedAt).First());
        foreach (var pending in unfinished.Values.Where(r => r.Status == "pending" && r.Key is not null))
        {
            if (holders.TryGetValue((pending.Service, pending.Key), out var holder) && holder.Id != pending.Id)
            {
                graph.Add(pending.Id, new Wait("lock", holder.Id, holder.Target, holder.Status, pending.InboxedAt ?? pending.CreatedAt));
            }
        }

        return graph;
    }

    /// <summary>
    /// The chain of waits from <paramref name="id"/>, following the first wait of each invocation, and whether it comes
    /// back to an invocation already on it (a cycle: nobody on it can finish).
    /// </summary>
    public (IReadOnlyList<Wait> Chain, bool Cycle) ChainFrom(string id)
    {
        var seen = new HashSet<string> { id };
        var chain = new List<Wait>();
        var current = id;
        while (WaitsOf(current) is [var next, ..] && chain.Count < 50)
        {
            chain.Add(next);
            if (!seen.Add(next.Id))
            {
                return (chain, true);
            }

            current = next.Id;
        }

        return (chain, false);
    }

    private void Add(string id, Wait wait)
    {
        if (!_waits.TryGetValue(id, out var list))
        {
            _waits[id] = list = [];
        }

        list.Add(wait);
    }

    /// <summary>(service, handler) of every shared handler: they run without the key's lock, so they never hold it.</summary>
    private static async Task<HashSet<(string, string)>> SharedHandlersAsync(AdminApi admin, CancellationToken ct)
    {
        var services = await admin.GetAsync("/services", ct);
        return
        [
            .. services.Array("services").SelectMany(s => s.Array("handlers")
                .Where(h => h.Str("ty") == "Shared")
                .Select(h => (s.Str("name") ?? string.Empty, h.Str("name") ?? string.Empty))),
        ];
    }
}
