namespace Keel.Server.Partitions;

/// <summary>
/// What one partition asks of another. Encoded into the source's outbox (<see cref="OutboxCodec"/>),
/// so a crash can neither lose it nor, thanks to the target's per-source sequence check, apply it twice.
/// </summary>
public abstract record RemoteOp
{
    /// <summary>Create a call's or send's target invocation (with its pre-assigned id), or attach the caller to an idempotent one.</summary>
    public sealed record CreateChild(
        string ChildId, string Service, string Handler, string Key, byte[] Parameter, List<KeyValuePair<string, string>> Headers,
        string? IdempotencyKey, string? CallerId, uint? CallerCompletionId, DateTimeOffset? InvokeTime, Contracts.TraceContext? Trace = null) : RemoteOp;

    /// <summary>Append a notification to an invocation's journal (call result, signal, awakeable).</summary>
    public sealed record NotifyInvocation(string TargetId, ushort Type, byte[] Payload) : RemoteOp;

    public sealed record CancelInvocation(string TargetId) : RemoteOp;

    public sealed record KillInvocation(string TargetId) : RemoteOp;

    /// <summary>
    /// A handler asks for another invocation's result (attach: wait for it; output: now or "not ready").
    /// The target is an invocation id, an idempotent request, or a workflow run.
    /// </summary>
    public sealed record GetResult(ResultTarget Target, string CallerId, uint CompletionId, bool Wait) : RemoteOp;
}

/// <summary>Names an invocation by id, by idempotency key, or as a workflow's run.</summary>
public sealed record ResultTarget(string? InvocationId, string? Service = null, string? Key = null, string? Handler = null, string? IdempotencyKey = null);
