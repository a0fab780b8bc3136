namespace Keel.Sdk.Core;

/// <summary>Opaque handle of a pending notification (a completion or a signal).</summary>
public readonly record struct NotificationHandle(uint Value);

/// <summary>What the invocation was started with.</summary>
public sealed record InvocationInput(
    string InvocationId,
    byte[] RawInvocationId,
    string Key,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte> Input,
    ulong RandomSeed)
{
    /// <summary>How many attempts failed since the journal last grew (0 on a first attempt): the attempt number is this + 1.</summary>
    public uint RetryCountSinceLastStoredEntry { get; init; }
}

/// <summary>A value or a terminal failure, as written in commands and proposals.</summary>
public abstract record CompletionValue
{
    private CompletionValue() { }

    public sealed record Success(ReadOnlyMemory<byte> Value) : CompletionValue;

    public sealed record Failure(TerminalFailure Error) : CompletionValue;
}

/// <summary>A terminal failure: HTTP-like code, message and optional metadata.</summary>
public sealed record TerminalFailure(ushort Code, string Message, IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>The result carried by a notification.</summary>
public abstract record NotificationResult
{
    private NotificationResult() { }

    /// <summary>Empty success (void), e.g. a sleep, or "absent" for a state get / peek.</summary>
    public sealed record Void : NotificationResult;

    public sealed record Success(ReadOnlyMemory<byte> Value) : NotificationResult;

    public sealed record Failure(TerminalFailure Error) : NotificationResult;

    public sealed record InvocationId(string Id) : NotificationResult;

    public sealed record StateKeys(IReadOnlyList<string> Keys) : NotificationResult;
}

/// <summary>Target of a call or send. Key is required for objects and workflows, null for services.</summary>
public sealed record CallTarget(string Service, string Handler, string? Key = null);

public sealed record CallOptions(
    string? IdempotencyKey = null,
    IReadOnlyList<KeyValuePair<string, string>>? Headers = null,
    string? Name = null);

public readonly record struct CallHandles(NotificationHandle InvocationId, NotificationHandle Result);

/// <summary>Which invocation to attach to or read the output of.</summary>
public abstract record InvocationTarget
{
    private InvocationTarget() { }

    public sealed record ById(string InvocationId) : InvocationTarget;

    public sealed record Workflow(string Name, string Key) : InvocationTarget;

    public sealed record Idempotent(string Service, string? Key, string Handler, string IdempotencyKey) : InvocationTarget;
}

/// <summary>Retry policy of a ctx.run closure; null fields mean "unbounded".</summary>
public sealed record RunRetryPolicy(
    TimeSpan InitialDelay,
    double Factor = 2.0,
    TimeSpan? MaxDelay = null,
    int? MaxAttempts = null,
    TimeSpan? MaxDuration = null)
{
    /// <summary>Restate's SDK default: 50 ms, ×2, at most 10 s apart, unbounded attempts.</summary>
    public static RunRetryPolicy Default { get; } = new(TimeSpan.FromMilliseconds(50), 2.0, TimeSpan.FromSeconds(10));
}

/// <summary>A tree of handles combined the way the protocol's Future message describes.</summary>
public abstract record UnresolvedFuture
{
    private UnresolvedFuture() { }

    public sealed record Single(NotificationHandle Handle) : UnresolvedFuture;

    public sealed record Combinator(CombinatorKind Kind, IReadOnlyList<UnresolvedFuture> Children) : UnresolvedFuture;
}

public enum CombinatorKind
{
    /// <summary>Race: resolved when any child completes.</summary>
    FirstCompleted,

    /// <summary>AllSettled: resolved when every child completes.</summary>
    AllCompleted,

    /// <summary>Any: first success, or all failed.</summary>
    FirstSucceededOrAllFailed,

    /// <summary>All: every child succeeded, or the first failure.</summary>
    AllSucceededOrFirstFailed,
}

/// <summary>What <see cref="IVm.DoAwait"/> decided.</summary>
public abstract record AwaitResult
{
    private AwaitResult() { }

    /// <summary>The future is resolved: take the notifications of its handles.</summary>
    public sealed record Completed : AwaitResult;

    /// <summary>Input is still open: read more request bytes and ask again.</summary>
    public sealed record WaitExternalProgress : AwaitResult;

    /// <summary>Run the closure of this Run handle, then propose its result and ask again.</summary>
    public sealed record ExecuteRun(NotificationHandle Handle) : AwaitResult;

    /// <summary>The CANCEL signal arrived (implicit cancellation): fail the await with a 409 terminal error.</summary>
    public sealed record Cancelled : AwaitResult;

    /// <summary>Suspension written and output closed: stop running user code.</summary>
    public sealed record Suspended : AwaitResult;
}

/// <summary>A fatal VM error; the ErrorMessage is already in the output.</summary>
public sealed class VmException : Exception
{
    public VmException(ushort code, string message) : base(message) => Code = code;

    public VmException() : base("VM error") { }

    public VmException(string message) : base(message) { }

    public VmException(string message, Exception inner) : base(message, inner) { }

    /// <summary>570 journal mismatch, 571 protocol violation, 500 other.</summary>
    public ushort Code { get; }
}
