using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;

namespace Keel.Server.Model;

public enum InvocationPhase
{
    /// <summary>A delayed send waiting for its execution time.</summary>
    Scheduled,

    /// <summary>Waiting in its object key's inbox for the exclusive lock.</summary>
    Inboxed,

    /// <summary>An attempt is running.</summary>
    Invoked,

    /// <summary>The SDK suspended; resumes when an awaited notification arrives.</summary>
    Suspended,

    /// <summary>The last attempt failed; a retry timer is set.</summary>
    BackingOff,

    /// <summary>Retries exhausted (or the SDK asked to pause): waits for an operator.</summary>
    Paused,

    Completed,
}

/// <summary>An invocation's durable status (the journal is stored separately, entry by entry).</summary>
public sealed record InvocationRecord
{
    public required InvocationId Id { get; init; }
    public required string Service { get; init; }
    public required string Handler { get; init; }
    public string? Key { get; init; }
    public ServiceType ServiceType { get; init; }
    public HandlerType? HandlerKind { get; init; }
    public InvocationPhase Phase { get; set; }
    public int Attempt { get; set; }
    public string? DeploymentId { get; set; }
    public int ProtocolVersion { get; set; }
    public uint JournalLength { get; set; }
    public uint CommandCount { get; set; }

    /// <summary>Failed attempts since the last new journal entry (sent to the SDK in StartMessage).</summary>
    public uint RetryCountSinceLastStoredEntry { get; set; }

    /// <summary>Failed attempts in total, for the retry policy.</summary>
    public int FailedAttempts { get; set; }
    public DateTimeOffset LastStoredEntryAt { get; set; }
    public string? CallerId { get; init; }
    public uint? CallerCompletionId { get; init; }

    /// <summary>Later callers that made the same idempotent call while this one ran; each gets the result too.</summary>
    public List<CallerRef> AttachedCallers { get; init; } = [];
    public string? IdempotencyKey { get; init; }
    public ulong RandomSeed { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExecutionTime { get; init; }
    public ResultRecord? PendingOutput { get; set; }
    public ResultRecord? Result { get; set; }
    public FailureInfo? LastFailure { get; set; }
    public DateTimeOffset? RetainUntil { get; set; }
    public IReadOnlyList<uint> WaitingCompletions { get; set; } = [];
    public IReadOnlyList<uint> WaitingSignals { get; set; } = [];
    public IReadOnlyList<string> WaitingNamedSignals { get; set; } = [];

    /// <summary>A V7 suspension's awaited future as the SDK sent it (serialized), evaluated exactly on each notification.</summary>
    public byte[]? Awaiting { get; set; }

    /// <summary>
    /// Its entry in the object key's inbox while <see cref="InvocationPhase.Inboxed"/>; once it holds
    /// the key's lock, the sequence after which the next holder is looked for (its own entry, or the
    /// partition's last inbox sequence when it found the lock free).
    /// </summary>
    public ulong InboxSequence { get; set; }

    public DateTimeOffset ModifiedAt { get; set; }

    public DateTimeOffset? NextRetryAt { get; set; }

    /// <summary>When the latest attempt started.</summary>
    public DateTimeOffset? LastStartAt { get; set; }

    /// <summary>When it last entered its key's inbox.</summary>
    public DateTimeOffset? InboxedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>Completed with its journal kept (journal retention): until when, and how many entries.</summary>
    public DateTimeOffset? JournalRetainUntil { get; set; }

    public uint KeptJournalLength { get; set; }

    /// <summary>The trace its spans join: the ingress request's, or the calling attempt's (null: none was given).</summary>
    public Contracts.TraceContext? Trace { get; init; }

    public bool IsKeyed => ServiceType != ServiceType.Service;

    public bool IsExclusive => ServiceType == ServiceType.VirtualObject ? HandlerKind != HandlerType.Shared : HandlerKind == HandlerType.Workflow;
}

/// <summary>Why the last attempt failed, for operators (admin API, logs).</summary>
public sealed record FailureInfo(uint Code, string Message, int Attempt, uint? RelatedCommandIndex = null, string? RelatedCommandName = null, uint? RelatedCommandType = null, string? Stacktrace = null)
{
    public override string ToString() => $"[{Code}] {Message}";

    /// <summary>As Restate shows a failure to operators: <c>[500 Internal] message</c>, then the SDK's stack trace on the next lines.</summary>
    public string Describe()
    {
        var name = Code switch
        {
            400 => " Bad request",
            404 => " Not found",
            409 => " Aborted",
            410 => " Gone",
            415 => " Unsupported media type",
            470 => " Not ready",
            500 => " Internal",
            570 => " Journal mismatch",
            571 => " Protocol violation",
            _ => string.Empty,
        };
        return string.IsNullOrEmpty(Stacktrace) ? $"[{Code}{name}] {Message}" : $"[{Code}{name}] {Message}\n{Stacktrace}";
    }
}

/// <summary>
/// An invocation waiting for another's result, the completion id it waits on, and the notification
/// type it expects (0: a call's CallCompletion; attach from a handler expects AttachInvocationCompletion).
/// </summary>
public sealed record CallerRef(string Id, uint CompletionId, ushort NotificationType = 0);

/// <summary>An output value or a terminal failure.</summary>
public sealed record ResultRecord(bool Success, byte[]? Value, ushort Code = 0, string? Message = null, Dictionary<string, string>? Metadata = null)
{
    public static ResultRecord Ok(byte[] value) => new(true, value);

    public static ResultRecord Fail(ushort code, string message, Dictionary<string, string>? metadata = null) => new(false, null, code, message, metadata);
}
