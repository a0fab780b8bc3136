using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Deadlocks;

/// <summary>
/// The <c>fail</c> deadlock policy (<c>PATCH /services/{name}</c> with <c>{"deadlock": "fail"}</c>): when any
/// service of a new cycle has it, the cycle is broken at once by failing its member queued on a key's lock with a
/// terminal 409 whose message starts with "deadlock:" and names the cycle. That member is the call that cannot be
/// served (it waits for a key held by an invocation that waits, through the cycle, for it); it has run no user
/// code, so failing it loses nothing, and its caller receives the failure as from a callee that failed: its
/// handler can catch it, or fail, and so on up to the ingress caller of the chain.
/// <para>
/// A cycle made of calls only (possible with idempotency keys attaching to a running invocation) has no queued
/// member: failing one would abort a running handler, so such a cycle is only reported.
/// </para>
/// </summary>
internal static partial class DeadlockBreaker
{
    /// <summary>Watches <paramref name="graph"/>; <paramref name="fail"/> routes the failure to the member's partition.</summary>
    public static void Attach(WaitForGraph graph, ISchemaView schema, Action<InvocationId, string> fail, ILogger logger)
    {
        graph.Detected += cycle =>
        {
            if (!cycle.Members.Any(m => PolicyOf(schema, m.Target) == DeadlockPolicy.Fail))
            {
                return;
            }

            if (cycle.Members.FirstOrDefault(m => m.WaitsBy == WaitReason.Lock) is not { } queued
                || !InvocationId.TryParse(queued.Id, out var id))
            {
                LogNotBroken(logger, cycle.Describe());
                return;
            }

            LogFailing(logger, queued.Id, cycle.Describe());
            fail(id, Message(cycle));
        };
    }

    /// <summary>The terminal error's message: "deadlock: " and the cycle as <see cref="DeadlockCycle.Describe"/> writes it.</summary>
    public static string Message(DeadlockCycle cycle) => $"deadlock: {cycle.Describe()}";

    /// <summary>The policy of a member's service (its target is <c>Service/…</c>); a service unknown now reports.</summary>
    private static DeadlockPolicy PolicyOf(ISchemaView schema, string target)
    {
        var service = target[..Math.Max(0, target.IndexOf('/', StringComparison.Ordinal))];
        return schema.TryGetService(service, out var info) ? info.Deadlock ?? DeadlockPolicy.Report : DeadlockPolicy.Report;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadlock policy fail: failing the queued call {Id} with 409 to break {Cycle}")]
    private static partial void LogFailing(ILogger logger, string id, string cycle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deadlock policy fail cannot apply (no member is queued on a key; failing one would abort a running handler): {Cycle}")]
    private static partial void LogNotBroken(ILogger logger, string cycle);
}
