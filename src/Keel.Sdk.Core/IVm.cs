using Keel.Protocol.Framing;

namespace Keel.Sdk.Core;

/// <summary>
/// The per-invocation protocol state machine (modelled on Restate's sdk-shared-core VM).
/// Synchronous and free of I/O: the host pushes request bytes in, user code issues <c>Sys*</c>
/// operations that return handles, <see cref="DoAwait"/> says what to do next, and response bytes
/// are taken out with <see cref="TakeOutput"/>. Not thread-safe: the host serialises every call.
///
/// Errors: a protocol violation (571), a journal mismatch (570) or another fatal condition makes the
/// VM write an ErrorMessage, close its output and throw <see cref="VmException"/> from the call that
/// found it; every later call throws it again.
/// </summary>
public interface IVm
{
    // ---- transport -------------------------------------------------------------------------

    ServiceProtocolVersion Version { get; }

    /// <summary>Push bytes read from the request body (any chunking).</summary>
    void NotifyInput(ReadOnlySpan<byte> bytes);

    /// <summary>The request body ended.</summary>
    void NotifyInputClosed();

    /// <summary>
    /// A retryable failure from outside the VM (user code threw a non-terminal exception, a
    /// serialization error...): writes an ErrorMessage (next_retry_delay when given) and closes the output.
    /// </summary>
    void NotifyError(string message, string? stacktrace = null, TimeSpan? nextRetryDelay = null);

    /// <summary>Bytes ready to be written to the response body; empty when nothing is pending.</summary>
    ReadOnlyMemory<byte> TakeOutput();

    /// <summary>True once the VM wrote its final message (End, Suspension or Error): end the response after input closes.</summary>
    bool IsOutputClosed { get; }

    /// <summary>Start and all <c>known_entries</c> replay messages have arrived: user code may run.</summary>
    bool IsReadyToExecute { get; }

    /// <summary>True while replayed commands remain to be consumed (used e.g. to silence logging).</summary>
    bool IsReplaying { get; }

    /// <summary>The CANCEL signal arrived and no await has reported it yet (the SDK fires its cancellation tokens).</summary>
    bool IsCancelSignalPending { get; }

    // ---- invocation input --------------------------------------------------------------------

    /// <summary>The invocation's input; consumes the replayed Input command. Call once, first.</summary>
    InvocationInput SysInput();

    // ---- state -----------------------------------------------------------------------------

    /// <summary>Eager when the key is known locally (result ready at once), lazy otherwise. Consumes a completion id either way.</summary>
    NotificationHandle SysStateGet(string key);

    NotificationHandle SysStateGetKeys();

    void SysStateSet(string key, ReadOnlyMemory<byte> value);

    void SysStateClear(string key);

    void SysStateClearAll();

    // ---- timers ----------------------------------------------------------------------------

    /// <summary>Sleep until <paramref name="wakeUpTime"/> (absolute).</summary>
    NotificationHandle SysSleep(DateTimeOffset wakeUpTime, string? name = null);

    // ---- calls and sends -------------------------------------------------------------------

    /// <summary>Request-response call: two handles, the callee's invocation id and its result.</summary>
    CallHandles SysCall(CallTarget target, ReadOnlyMemory<byte> input, CallOptions? options = null);

    /// <summary>One-way send, optionally at an absolute time; the handle resolves to the callee's invocation id.</summary>
    NotificationHandle SysSend(CallTarget target, ReadOnlyMemory<byte> input, DateTimeOffset? invokeTime = null, CallOptions? options = null);

    // ---- awakeables, signals, promises -----------------------------------------------------

    /// <summary>Allocates the next awakeable signal id (17, 18, ...) and its <c>sign_1…</c> id.</summary>
    (string AwakeableId, NotificationHandle Handle) SysAwakeable();

    void SysCompleteAwakeable(string awakeableId, CompletionValue result);

    /// <summary>A handle for a named signal delivered to this invocation.</summary>
    NotificationHandle SysNamedSignal(string signalName);

    /// <summary>Resolve or reject a named signal of another invocation.</summary>
    void SysCompleteNamedSignal(string targetInvocationId, string signalName, CompletionValue result);

    NotificationHandle SysGetPromise(string key);

    NotificationHandle SysPeekPromise(string key);

    NotificationHandle SysCompletePromise(string key, CompletionValue result);

    // ---- invocations -----------------------------------------------------------------------

    /// <summary>Sends the CANCEL signal (1) to another invocation.</summary>
    void SysCancelInvocation(string targetInvocationId);

    NotificationHandle SysAttachInvocation(InvocationTarget target);

    NotificationHandle SysGetInvocationOutput(InvocationTarget target);

    // ---- ctx.run ---------------------------------------------------------------------------

    /// <summary>Journals a Run command. When its result is already in the journal the closure must not run.</summary>
    NotificationHandle SysRun(string name);

    /// <summary>The closure of a run produced a value or a terminal failure.</summary>
    void ProposeRunCompletion(NotificationHandle handle, CompletionValue result);

    /// <summary>
    /// The closure threw a retryable error. The VM applies <paramref name="policy"/>: either it asks the
    /// runtime to retry the attempt (ErrorMessage with next_retry_delay, output closes) or, when the
    /// attempts are exhausted, proposes a terminal failure.
    /// </summary>
    /// <returns>The delay before the runtime retries, or null when the attempts are exhausted (the run failed terminally).</returns>
    TimeSpan? ProposeRunRetryableFailure(NotificationHandle handle, string message, string? stacktrace, TimeSpan attemptDuration, RunRetryPolicy policy);

    // ---- output ----------------------------------------------------------------------------

    void SysWriteOutput(CompletionValue result);

    /// <summary>Writes End and closes the output.</summary>
    void SysEnd();

    // ---- awaiting ----------------------------------------------------------------------------

    /// <summary>
    /// Progress on a future tree: resolved, needs more input, must run a closure, was cancelled, or
    /// suspended (Suspension written, output closed: the attempt is over).
    /// </summary>
    AwaitResult DoAwait(UnresolvedFuture future);

    /// <summary>Whether the handle's notification has arrived (without consuming it).</summary>
    bool IsCompleted(NotificationHandle handle);

    /// <summary>Takes the handle's result; null when it has not arrived yet.</summary>
    NotificationResult? TakeNotification(NotificationHandle handle);
}
