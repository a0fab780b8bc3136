using Keel.Server.Deadlocks;

namespace Keel.Server.Query;

/// <summary>
/// One invocation of a standing deadlock, as the <c>keel_deadlocks</c> table shows it: the cycle it belongs to
/// (<paramref name="Cycle"/>, 1 for the oldest standing cycle), its place in it, and whether it waits for the next
/// member's call result or key lock. The rows come from the server's wait-for graph, not from the store.
/// </summary>
/// <param name="Position">0 for the invocation whose wait closed the cycle; the last member waits for member 0.</param>
public sealed record DeadlockRow(
    uint Cycle, DateTime DetectedAt, uint Position, string Id, string Target,
    string ServiceName, string? ServiceKey, string HandlerName, string WaitsOn)
{
    /// <summary>The rows of the cycles standing now (oldest first, as the graph lists them), member by member.</summary>
    public static IReadOnlyList<DeadlockRow> From(IReadOnlyList<DeadlockCycle> cycles)
    {
        ArgumentNullException.ThrowIfNull(cycles);
        return [.. cycles.SelectMany((cycle, c) => cycle.Members.Select((m, p) => Of(cycle, (uint)c + 1, (uint)p, m)))];
    }

    private static DeadlockRow Of(DeadlockCycle cycle, uint number, uint position, CycleMember member)
    {
        // A target is service/handler or service/key/handler; names never hold a '/', a key may.
        var first = member.Target.IndexOf('/', StringComparison.Ordinal);
        var last = member.Target.LastIndexOf('/');
        var service = first < 0 ? member.Target : member.Target[..first];
        var handler = last < 0 ? "" : member.Target[(last + 1)..];
        var key = first >= 0 && last > first ? member.Target[(first + 1)..last] : null;
        return new DeadlockRow(
            number, cycle.DetectedAt.UtcDateTime, position, member.Id, member.Target, service, key, handler,
            member.WaitsBy == WaitReason.Call ? "call" : "lock");
    }
}
