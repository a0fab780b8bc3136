using Keel.Protocol.Framing;
using Keel.Protocol.Ids;

namespace Keel.Server.Contracts;

/// <summary>
/// The seam between a partition (functional core) and the invoker (I/O shell that talks HTTP to
/// deployments). The partition decides everything durable: what to replay, which frames to push
/// and in which order, when to retry. The invoker only moves frames and reports what happened.
/// Every call and effect carries the attempt number so results of a stale attempt are ignored.
/// </summary>
public interface IInvoker
{
    /// <summary>Open a new attempt: send Start + the journal, then keep the stream open (bidi) or close it (request-response).</summary>
    void Start(InvokeRequest request);

    /// <summary>Push a frame (a notification, or a V7 ProposeRunCompletionAck) to a running attempt, in call order.</summary>
    void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame);

    /// <summary>Stop an attempt (kill, or the partition lost interest); no effect is reported afterwards.</summary>
    void Abort(InvocationId id, int attempt);

    /// <summary>Attempts started by partitions but still waiting for a free slot (the runtime refuses new requests when this grows too long).</summary>
    int Backlog => 0;
}

/// <summary>Everything the invoker needs to open one attempt.</summary>
public sealed record InvokeRequest(
    InvocationId Id,
    int Attempt,
    string Service,
    string Handler,
    string? Key,
    DeploymentInfo Deployment,
    ServiceProtocolVersion Version,
    IReadOnlyList<JournalEntry> Journal,
    IReadOnlyList<KeyValuePair<byte[], byte[]>>? EagerState,
    ulong RandomSeed,
    uint RetryCountSinceLastStoredEntry,
    TimeSpan DurationSinceLastStoredEntry,
    TimeSpan InactivityTimeout,
    TimeSpan AbortTimeout,
    string? IdempotencyKey = null,
    TraceContext? Trace = null)
{
    /// <summary>
    /// Reads <see cref="Journal"/> (its first <c>Journal.Count</c> entries: later ones reach the
    /// attempt as pushes) and <see cref="EagerState"/> again from the partition; null when the attempt
    /// is no longer current. Set by the partition, so an attempt that must wait for a free slot can
    /// drop both meanwhile and hold only its ids.
    /// </summary>
    public Func<CancellationToken, Task<AttemptInputs?>>? Reload { get; init; }

    /// <summary>This request without its journal and state (to be reloaded with <see cref="Reload"/>).</summary>
    public InvokeRequest WithoutReplay() => this with { Journal = [], EagerState = null };

    /// <summary>This request with the journal and state a reload read.</summary>
    public InvokeRequest WithReplay(AttemptInputs inputs) =>
        this with { Journal = inputs?.Journal ?? throw new ArgumentNullException(nameof(inputs)), EagerState = inputs.EagerState };
}

/// <summary>What an attempt replays to the SDK: the journal and (unless state is lazy) the object's state.</summary>
public sealed record AttemptInputs(IReadOnlyList<JournalEntry> Journal, IReadOnlyList<KeyValuePair<byte[], byte[]>>? EagerState);

/// <summary>One stored journal entry (command or notification): its type id and protobuf payload.</summary>
public sealed record JournalEntry(MessageType Type, ReadOnlyMemory<byte> Payload);

/// <summary>What an attempt reported, handed to the partition that owns the invocation.</summary>
public abstract record InvokerEffect(InvocationId Id, int Attempt)
{
    /// <summary>Response headers were accepted (status 200 and the right content type).</summary>
    public sealed record Started(InvocationId Id, int Attempt, string? ServerHeader) : InvokerEffect(Id, Attempt);

    /// <summary>
    /// A new command from the SDK, in order. <paramref name="CommandIndex"/> counts commands from 0 (= Input).
    /// <paramref name="Trace"/>: the span that issued it (a call's or send's target continues that trace).
    /// </summary>
    public sealed record Command(InvocationId Id, int Attempt, uint CommandIndex, JournalEntry Entry, bool RequestedAck, TraceContext? Trace = null) : InvokerEffect(Id, Attempt);

    /// <summary>A ProposeRunCompletion message (raw payload) and whether it asked for an ack (V7).</summary>
    public sealed record RunProposal(InvocationId Id, int Attempt, ReadOnlyMemory<byte> Payload, bool RequestedAck) : InvokerEffect(Id, Attempt);

    /// <summary>The SDK suspended. Payload is SuspensionMessage (V7) or SuspensionMessageV6, per the attempt's version.</summary>
    public sealed record Suspended(InvocationId Id, int Attempt, ReadOnlyMemory<byte> Payload) : InvokerEffect(Id, Attempt);

    /// <summary>The SDK sent End after its Output command.</summary>
    public sealed record Ended(InvocationId Id, int Attempt) : InvokerEffect(Id, Attempt);

    /// <summary>The attempt failed: an ErrorMessage from the SDK, or a transport/protocol/timeout failure found by the invoker.</summary>
    public sealed record Failed(InvocationId Id, int Attempt, AttemptFailure Failure) : InvokerEffect(Id, Attempt);
}

public enum FailureBehavior
{
    Retry,
    Pause,
    Fail,
}

/// <summary>Why an attempt failed. <see cref="NextRetryDelay"/> and <see cref="Behavior"/> come from an SDK ErrorMessage.</summary>
public sealed record AttemptFailure(
    uint Code,
    string Message,
    string? Stacktrace = null,
    TimeSpan? NextRetryDelay = null,
    FailureBehavior Behavior = FailureBehavior.Retry,
    uint? RelatedCommandIndex = null,
    string? RelatedCommandName = null,
    uint? RelatedCommandType = null);

/// <summary>Where the invoker delivers effects (the owning partition's command queue).</summary>
public interface IInvokerEffectSink
{
    void Submit(InvokerEffect effect);

    /// <summary>
    /// Completes when the partition owning <paramref name="id"/> has room for more effects; an attempt
    /// awaits it before reading more of its stream, which holds a fast SDK back (HTTP/2 flow control).
    /// </summary>
    ValueTask WaitForRoomAsync(InvocationId id, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
