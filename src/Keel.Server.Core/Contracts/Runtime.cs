using Keel.Protocol.Ids;

namespace Keel.Server.Contracts;

/// <summary>
/// What the HTTP shell (ingress, admin) asks of the runtime core. Every method returns only after
/// the effect is durable (fsync'd), so the shell may acknowledge to its client right away.
/// Validation against the schema (unknown service → 404, bad body → 400) happens in the shell first.
/// </summary>
public interface IRuntimeApi
{
    /// <summary>Null while every partition serves; else why one stopped (health answers 503).</summary>
    Exception? Failure { get; }

    /// <summary>Submit an invocation (call or send). For a send this returns once it is durable.</summary>
    Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken);

    /// <summary>Wait for an invocation's result (attach), or return it only if ready (output).</summary>
    Task<OutputResult> GetOutputAsync(InvocationQuery query, bool wait, CancellationToken cancellationToken);

    /// <summary>Resolve (value) or reject (failure) an awakeable: a <c>sign_1…</c> id delivers a signal.</summary>
    Task CompleteAwakeableAsync(AwakeableId awakeable, InvocationResult result, CancellationToken cancellationToken);

    Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken);

    Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken);

    Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken);
}

/// <summary>An invocation to create, from the ingress.</summary>
public sealed record InvocationRequest(
    string Service,
    string Handler,
    string? Key,
    ReadOnlyMemory<byte> Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string? IdempotencyKey,
    bool IsSend,
    DateTimeOffset? ExecutionTime = null);

public enum SubmitStatus
{
    /// <summary>A new invocation was created.</summary>
    Accepted,

    /// <summary>The idempotency key or workflow id already names an invocation; this is it.</summary>
    PreviouslyAccepted,
}

/// <summary>
/// For a send: the invocation's id and status. For a call: also its result (the submit waits for it).
/// A call to a workflow's run that was already invoked gets <see cref="SubmitStatus.PreviouslyAccepted"/>
/// and the shell answers 409.
/// </summary>
public sealed record SubmitResult(InvocationId Id, SubmitStatus Status, InvocationResult? Result, DateTimeOffset? ExecutionTime = null);

/// <summary>The outcome of an invocation: its output bytes or a terminal failure.</summary>
public abstract record InvocationResult
{
    private InvocationResult() { }

    public sealed record Success(ReadOnlyMemory<byte> Value) : InvocationResult;

    public sealed record Failure(ushort Code, string Message, IReadOnlyDictionary<string, string>? Metadata = null) : InvocationResult;
}

/// <summary>How the shell names an invocation whose result it wants.</summary>
public abstract record InvocationQuery
{
    private InvocationQuery() { }

    public sealed record ById(InvocationId Id) : InvocationQuery;

    public sealed record Workflow(string Name, string Key) : InvocationQuery;

    public sealed record Idempotent(string Service, string? Key, string Handler, string IdempotencyKey) : InvocationQuery;
}

public enum OutputStatus
{
    Ready,
    NotReady,
    NotFound,
}

public sealed record OutputResult(OutputStatus Status, InvocationId? Id, InvocationResult? Result);

public enum ControlStatus
{
    /// <summary>Done at once (e.g. the invocation was only inboxed or scheduled).</summary>
    Done,

    /// <summary>Accepted; takes effect asynchronously (cancel signal appended).</summary>
    Appended,
    NotFound,
    AlreadyCompleted,

    /// <summary>The operation needs a completed invocation (purge) and this one is still running.</summary>
    NotCompleted,
}

public sealed record ControlResult(ControlStatus Status);
