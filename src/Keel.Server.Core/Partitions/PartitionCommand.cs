using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>Inputs of the partition state machine. <c>Reply</c> tokens are opaque: the shell answers them after commit.</summary>
public abstract record PartitionCommand
{
    private PartitionCommand() { }

    /// <summary>
    /// A new invocation from the ingress; <paramref name="Id"/> was chosen by the shell (deduplicated requests get their fixed id).
    /// <paramref name="FreshId"/>: the shell drew the id at random for this request alone (no idempotency key, not a
    /// workflow run), so no record of it can exist yet and its status need not be read (on PostgreSQL a round trip).
    /// </summary>
    public sealed record Submit(InvocationRequest Request, InvocationId Id, object Reply, bool FreshId = false) : PartitionCommand;

    public sealed record Effect(InvokerEffect InvokerEffect) : PartitionCommand;

    public sealed record TimerFired(byte[] TimerKey) : PartitionCommand;

    public sealed record CompleteAwakeable(AwakeableId Awakeable, InvocationResult Result, object Reply) : PartitionCommand;

    public sealed record GetOutput(InvocationQuery Query, object Reply) : PartitionCommand;

    public sealed record Purge(InvocationId Id, object Reply) : PartitionCommand;

    public sealed record Cancel(InvocationId Id, object Reply) : PartitionCommand;

    public sealed record Kill(InvocationId Id, object Reply) : PartitionCommand;

    /// <summary>
    /// A deadlock's policy is <c>fail</c>: the invocation <paramref name="Id"/>, queued on its key behind the cycle,
    /// ends with a terminal 409 <paramref name="Message"/> if it is still queued (see StateMachine.Control).
    /// </summary>
    public sealed record FailDeadlocked(InvocationId Id, string Message, object Reply) : PartitionCommand;

    public sealed record PurgeJournal(InvocationId Id, object Reply) : PartitionCommand;

    public sealed record Pause(InvocationId Id, object Reply) : PartitionCommand;

    public sealed record Resume(InvocationId Id, ResumeDeployment Deployment, object Reply) : PartitionCommand;

    /// <summary>Restart a completed invocation as <paramref name="NewId"/> (chosen by the shell, in the same partition).</summary>
    public sealed record RestartAsNew(InvocationId Id, InvocationId NewId, object Reply) : PartitionCommand;

    public sealed record ReplaceState(string Service, string Key, string? ExpectedVersion, IReadOnlyDictionary<string, byte[]> NewState, object Reply) : PartitionCommand;

    /// <summary>
    /// An operation handed over from another partition (durably kept in its outbox until acknowledged).
    /// <paramref name="Previous"/> is the sequence of the source's previous hand-over to this partition
    /// (null for entries written before it was recorded).
    /// </summary>
    public sealed record Deliver(int Source, ulong Seq, RemoteOp Op, ulong? Previous = null) : PartitionCommand;

    /// <summary>The target partition applied (or had already applied) this outbox entry: forget it.</summary>
    public sealed record AckOutbox(ulong Seq) : PartitionCommand;

    /// <summary>
    /// Deletes up to <paramref name="Limit"/> completed invocations whose retention has passed (read
    /// from the retention index), starting after <paramref name="After"/> when a previous step left
    /// off there (so a long expiry does not rescan the index entries it already deleted).
    /// </summary>
    public sealed record Cleanup(int Limit = 100, byte[]? After = null) : PartitionCommand;

    /// <summary>
    /// Sent once at start (then once per further page): reads up to <paramref name="Limit"/> entries of
    /// the active index after <paramref name="After"/> and queues a <see cref="RecoverInvocation"/> for
    /// each running one; the first page also redelivers the outbox. One command per invocation, so
    /// a record that cannot be resumed costs only itself (see <see cref="Quarantine"/>), and an
    /// attempt's journal is read when that invocation's turn comes, not all at once.
    /// </summary>
    public sealed record Recover(byte[]? After = null, int Limit = 100) : PartitionCommand;

    /// <summary>
    /// Starts a new attempt of an invocation that was running at the last stop (if it still is: one
    /// that completed or paused meanwhile is left alone). Reading its record is part of this command,
    /// so a record that cannot be read costs only this command.
    /// </summary>
    public sealed record RecoverInvocation(InvocationId Id) : PartitionCommand;

    /// <summary>
    /// Sent at start (then once per further page) when deadlocks are detected: reads up to <paramref name="Limit"/>
    /// entries of the partition's lock table (then its inbox table) after <paramref name="After"/> and queues a
    /// <see cref="RebuildWaits"/> for each holder and each queued invocation, so the in-memory wait-for graph learns
    /// again the waits that stood before the restart or take-over.
    /// </summary>
    public sealed record RebuildWaitsFrom(Storage.Table Table, byte[]? After = null, int Limit = 100) : PartitionCommand;

    /// <summary>
    /// Tells the wait-for graph (after commit, writing nothing) what <paramref name="Id"/> waits for: the key it is
    /// queued on, the key it holds, its calls not answered yet; then the same for each callee that holds no key
    /// (<paramref name="Hops"/> counts those steps, bounded).
    /// </summary>
    public sealed record RebuildWaits(InvocationId Id, int Hops = 0) : PartitionCommand;

    /// <summary>
    /// Recovering <paramref name="Id"/> threw: the invocation is paused with the error as its last
    /// failure (visible in the CLI and console, resumable once fixed) so the rest of the partition goes on.
    /// </summary>
    public sealed record Quarantine(InvocationId Id, string Reason) : PartitionCommand;

    /// <summary>
    /// An attempt that waited for an invoker slot reads what it replays: the first
    /// <paramref name="Entries"/> journal entries and the eager state, answered (after commit) with
    /// <see cref="AttemptInputs"/>, or with <see cref="StaleAttempt"/> when the invocation has moved
    /// on (a later attempt, completed, paused, killed).
    /// </summary>
    public sealed record LoadAttempt(InvocationId Id, int Attempt, int Entries, object Reply) : PartitionCommand;

    /// <summary>Forgets one completed invocation whose retention passed (one of a <see cref="Cleanup"/> page).</summary>
    public sealed record Expire(InvocationId Id, byte[] IndexKey) : PartitionCommand;

    /// <summary>Expiring an invocation threw: its retention index entry is dropped so cleanup goes on past it.</summary>
    public sealed record DropRetentionEntry(byte[] IndexKey) : PartitionCommand;

    /// <summary>
    /// Hands over again outbox entries not yet acknowledged, one page at a time: up to
    /// <paramref name="Limit"/> entries after sequence <paramref name="After"/> and below
    /// <paramref name="Below"/> (null: all of them, as at start), then a follow-up for the next page.
    /// In a cluster a hand-over to another node can be lost with that node (or the network); the
    /// target skips what it already applied. The periodic redelivery passes as <paramref name="Below"/>
    /// the mark of its previous pass (<see cref="PartitionAction.OutboxMark"/>), so an entry is resent
    /// only once it has waited unacknowledged for about one interval, not seconds after it was sent.
    /// </summary>
    public sealed record RedeliverOutbox(ulong? Below = null, ulong After = 0, int Limit = 500) : PartitionCommand;
}

/// <summary>Side effects the shell runs once the batch that produced them is durable.</summary>
public abstract record PartitionAction
{
    private PartitionAction() { }

    public sealed record Invoke(InvokeRequest Request) : PartitionAction;

    public sealed record Push(InvocationId Id, int Attempt, byte[] Frame) : PartitionAction;

    public sealed record Abort(InvocationId Id, int Attempt) : PartitionAction;

    public sealed record ScheduleTimer(DateTimeOffset At, byte[] Key) : PartitionAction;

    /// <summary>
    /// The invocation finished: answer everyone attached to it. Target, creation time and trace are
    /// what its metric and its invocation span report.
    /// </summary>
    public sealed record Completed(InvocationId Id, InvocationResult Result, string? Service = null, string? Handler = null,
        DateTimeOffset CreatedAt = default, TraceContext? Trace = null) : PartitionAction;

    public sealed record Reply(object Token, object Value) : PartitionAction;

    /// <summary>Enqueue a command into another partition's processor.</summary>
    public sealed record Route(int Partition, PartitionCommand Command) : PartitionAction;

    /// <summary>An attempt failed: tell the operator (logged, rate-limited per invocation).</summary>
    public sealed record AttemptFailed(InvocationId Id, string Target, FailureInfo Failure, TimeSpan? RetryIn, string Outcome) : PartitionAction;

    /// <summary>Cleanup found more expired invocations than its limit: run again soon, after <paramref name="After"/>.</summary>
    public sealed record CleanupMore(byte[] After) : PartitionAction;

    /// <summary>Queue a follow-up command into this partition (internal work, after this batch is durable).</summary>
    public sealed record FollowUp(PartitionCommand Command) : PartitionAction;

    /// <summary>A stored record could not be used and was set aside: tell the operator (logged as an error).</summary>
    public sealed record RecordSkipped(string What, string Reason) : PartitionAction;

    /// <summary>
    /// A redelivery pass began: every outbox entry then present has a sequence below
    /// <paramref name="Next"/>. The shell keeps it (in memory) as the bound of its next periodic pass.
    /// </summary>
    public sealed record OutboxMark(ulong Next) : PartitionAction;

    // Waits, for the server's wait-for graph (Deadlocks/WaitForGraph): in memory, told after commit.

    /// <summary><paramref name="Caller"/> made a request-response call to <paramref name="Callee"/>; its result comes as <paramref name="CompletionId"/>.</summary>
    public sealed record CallAwaited(InvocationId Caller, string CallerTarget, uint CompletionId, string Callee, string CalleeTarget) : PartitionAction;

    /// <summary>The result of <paramref name="Caller"/>'s call <paramref name="CompletionId"/> reached its journal.</summary>
    public sealed record CallAnswered(InvocationId Caller, uint CompletionId) : PartitionAction;

    /// <summary>An exclusive invocation was queued in its key's inbox (behind the key's holder).</summary>
    public sealed record Inboxed(InvocationId Id, string Target, string Service, string Key) : PartitionAction;

    /// <summary>An exclusive invocation took its key's lock.</summary>
    public sealed record KeyTaken(InvocationId Id, string Target, string Service, string Key) : PartitionAction;
}

/// <summary>The answer to a <see cref="PartitionCommand.LoadAttempt"/> whose attempt is no longer current.</summary>
public sealed class StaleAttempt
{
    public static readonly StaleAttempt Instance = new();

    private StaleAttempt() { }
}
