using Keel.Protocol.Ids;
using Keel.Server.Deadlocks;

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

    /// <summary>The deadlocks standing now (cycles of invocations waiting for each other), oldest first; a broken one is gone.</summary>
    IReadOnlyList<DeadlockCycle> Deadlocks { get; }

    /// <summary>Submit an invocation (call or send). For a send this returns once it is durable.</summary>
    Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken);

    /// <summary>Wait for an invocation's result (attach), or return it only if ready (output).</summary>
    Task<OutputResult> GetOutputAsync(InvocationQuery query, bool wait, CancellationToken cancellationToken);

    /// <summary>Resolve (value) or reject (failure) an awakeable: a <c>sign_1…</c> id delivers a signal.</summary>
    Task CompleteAwakeableAsync(AwakeableId awakeable, InvocationResult result, CancellationToken cancellationToken);

    Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken);

    Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken);

    Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken);

    /// <summary>Deletes a completed invocation's journal, keeping its status and result.</summary>
    Task<ControlResult> PurgeJournalAsync(InvocationId id, CancellationToken cancellationToken);

    /// <summary>Stops the running attempt (or the backoff, or the suspension) and keeps the invocation paused until resumed.</summary>
    Task<ControlResult> PauseAsync(InvocationId id, CancellationToken cancellationToken);

    /// <summary>Starts a new attempt of a paused, suspended or backing-off invocation now, on its deployment or another one.</summary>
    Task<ControlResult> ResumeAsync(InvocationId id, ResumeDeployment deployment, CancellationToken cancellationToken);

    /// <summary>Starts a new invocation with the input of a completed one (its journal must still be kept).</summary>
    Task<ControlResult> RestartAsNewAsync(InvocationId id, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces an object's (or workflow's) whole state, if it is not locked by a running invocation and,
    /// when <paramref name="expectedVersion"/> is given, if the state is still that version.
    /// </summary>
    Task<ControlResult> ReplaceStateAsync(string service, string key, string? expectedVersion, IReadOnlyDictionary<string, byte[]> newState, CancellationToken cancellationToken);
}

/// <summary>Which deployment a resumed invocation runs on.</summary>
public abstract record ResumeDeployment
{
    private ResumeDeployment() { }

    /// <summary>The one it is pinned to (the default).</summary>
    public sealed record Keep : ResumeDeployment;

    /// <summary>The deployment its service is registered on now.</summary>
    public sealed record Latest : ResumeDeployment;

    public sealed record Specific(string DeploymentId) : ResumeDeployment;
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
    DateTimeOffset? ExecutionTime = null,
    TraceContext? Trace = null);

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

    /// <summary>Pause: it was paused already (nothing changed).</summary>
    AlreadyPaused,

    /// <summary>Pause: it is waiting in an inbox or for its execution time, not running.</summary>
    NotRunning,

    /// <summary>Resume or restart: it has not started yet (inboxed or scheduled).</summary>
    NotStarted,

    /// <summary>The operation does not apply to this kind of invocation (restarting a workflow's run).</summary>
    Unsupported,

    /// <summary>Restart: the completed invocation's journal (its input) is no longer kept.</summary>
    InputGone,

    /// <summary>The deployment named is unknown, or cannot run this invocation (see the message).</summary>
    BadDeployment,

    /// <summary>State: the object key is locked by a running invocation, or its state changed since it was read.</summary>
    Conflict,
}

/// <summary>The outcome of an operator action; <paramref name="NewId"/> for restart-as-new; <paramref name="Message"/> explains a refusal.</summary>
public sealed record ControlResult(ControlStatus Status, InvocationId? NewId = null, string? Message = null);
