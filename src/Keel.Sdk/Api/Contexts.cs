namespace Keel.Sdk;

/// <summary>
/// What every handler can do: calls, sends, timers, side effects, awakeables. Each operation is
/// journaled, so after a failure the handler replays to where it was; journaled calls, sends and
/// state changes are not issued again. Call it only from the handler's own async flow (its pump).
/// </summary>
public interface IContext
{
    /// <summary>This invocation's id (<c>inv_1…</c>).</summary>
    string InvocationId { get; }

    /// <summary>Headers the invocation was started with.</summary>
    IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>A logger that stays quiet while the handler replays its journal, so each line is written once.</summary>
    Microsoft.Extensions.Logging.ILogger Logger { get; }

    /// <summary>A random generator seeded per invocation: the same numbers on every replay.</summary>
    Random Random { get; }

    /// <summary>The current time, recorded in the journal so replays see the same value.</summary>
    DurableFuture<DateTimeOffset> NowAsync();

    /// <summary>A durable timer: survives restarts; completes when the time has passed.</summary>
    DurableFuture SleepAsync(TimeSpan duration, string? name = null);

    /// <summary>
    /// Runs a side effect and journals its result: replays return the journaled result without running
    /// the closure again. The closure itself runs at least once — if the process dies after the effect
    /// but before the result is journaled, it runs again — so pass an idempotency key to external systems.
    /// </summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    DurableFuture<T> RunAsync<T>(string name, Func<Task<T>> action, RetryPolicy? retryPolicy = null);

    /// <summary>
    /// Like <see cref="RunAsync{T}(string, Func{Task{T}}, RetryPolicy?)"/>; the token fires when the attempt
    /// is aborted or the invocation is cancelled, so the closure can stop (its <c>finally</c> blocks run).
    /// </summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    DurableFuture<T> RunAsync<T>(string name, Func<CancellationToken, Task<T>> action, RetryPolicy? retryPolicy = null);

    /// <summary>Runs a side effect without a result (at least once; its completion is journaled once).</summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    DurableFuture RunAsync(string name, Func<Task> action, RetryPolicy? retryPolicy = null);

    /// <summary>Runs a side effect without a result, with a token that fires when the attempt is aborted or the invocation cancelled.</summary>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    DurableFuture RunAsync(string name, Func<CancellationToken, Task> action, RetryPolicy? retryPolicy = null);

    // The synchronous closures below need no Task.FromResult. Whenever a closure fits an async overload
    // above it binds there (their higher overload resolution priority): an async lambda, a lambda returning
    // a Task, and one that only throws (ctx.RunAsync<int>("x", () => throw …), which would otherwise be
    // ambiguous). They are default methods so that fakes of IContext keep compiling.

    /// <summary>
    /// Runs a synchronous side effect and journals its result (see <see cref="RunAsync{T}(string, Func{Task{T}}, RetryPolicy?)"/>):
    /// <c>var id = await ctx.RunAsync("new id", () => Guid.NewGuid());</c>
    /// </summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is a <see cref="ValueTask"/>: await it inside an async closure instead.</exception>
    DurableFuture<T> RunAsync<T>(string name, Func<T> action, RetryPolicy? retryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync<T>(name, _ => action(), retryPolicy);
    }

    /// <summary>A synchronous side effect with a result and a token that fires when the attempt is aborted or the invocation cancelled.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> is a <see cref="ValueTask"/>: await it inside an async closure instead.</exception>
    DurableFuture<T> RunAsync<T>(string name, Func<CancellationToken, T> action, RetryPolicy? retryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        Internal.SyncRun.RejectAwaitable(typeof(T), name);
        return RunAsync<T>(name, ct => Task.FromResult(action(ct)), retryPolicy);
    }

    /// <summary>Runs a synchronous side effect without a result: <c>await ctx.RunAsync("log", () => audit.Write(entry));</c></summary>
    DurableFuture RunAsync(string name, Action action, RetryPolicy? retryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync(name, _ => action(), retryPolicy);
    }

    /// <summary>A synchronous side effect without a result, with a token that fires when the attempt is aborted or the invocation cancelled.</summary>
    DurableFuture RunAsync(string name, Action<CancellationToken> action, RetryPolicy? retryPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync(name, ct =>
        {
            action(ct);
            return Task.CompletedTask;
        }, retryPolicy);
    }

    /// <summary>Request-response call to any handler.</summary>
    DurableFuture<TResponse> CallAsync<TResponse>(Target target, object? request = null, CallOptions? options = null);

    /// <summary>Request-response call to a handler without a result (a void handler); await it for completion or failure.</summary>
    DurableFuture CallAsync(Target target, object? request = null, CallOptions? options = null);

    /// <summary>One-way send, optionally delayed (a durable timer), to any handler.</summary>
    InvocationHandle Send(Target target, object? request = null, TimeSpan? delay = null, CallOptions? options = null);

    /// <summary>A typed client of a service (generated or hand-written).</summary>
    TClient Service<TClient>() where TClient : IKeelClient<TClient>;

    /// <summary>A typed client of the virtual object with this key.</summary>
    TClient Object<TClient>(string key) where TClient : IKeelClient<TClient>;

    /// <summary>A typed client of the workflow with this id.</summary>
    TClient Workflow<TClient>(string workflowId) where TClient : IKeelClient<TClient>;

    /// <summary>Creates an awakeable: give its id to someone who completes it; await its future.</summary>
    Awakeable<T> Awakeable<T>();

    /// <summary>Completes an awakeable (this invocation's or another's) with a value; its waiter resumes with it.</summary>
    void ResolveAwakeable<T>(string awakeableId, T value);

    /// <summary>Fails an awakeable: its waiter gets a <see cref="TerminalException"/> with this reason and code.</summary>
    void RejectAwakeable(string awakeableId, string reason, ushort code = TerminalException.DefaultCode);

    /// <summary>A named signal sent to this invocation.</summary>
    DurableFuture<T> SignalAsync<T>(string name);

    /// <summary>Completes the named signal of another invocation (its <c>SignalAsync</c>) with a value.</summary>
    void ResolveSignal<T>(string invocationId, string name, T value);

    /// <summary>Fails the named signal of another invocation with a terminal error.</summary>
    void RejectSignal(string invocationId, string name, string reason);

    /// <summary>Sends the cancel signal to another invocation.</summary>
    void CancelInvocation(string invocationId);

    /// <summary>Waits for another invocation's result.</summary>
    DurableFuture<T> AttachAsync<T>(string invocationId);
}

/// <summary>Shared handlers of a virtual object: read state, don't take the lock.</summary>
public interface ISharedObjectContext : IContext
{
    /// <summary>The object's key (the workflow id for workflows).</summary>
    string Key { get; }

    /// <summary>The value, or <c>default</c> (null for reference types) when absent.</summary>
    DurableFuture<T?> GetAsync<T>(StateKey<T> key);

    /// <summary>
    /// The value, or <paramref name="defaultValue"/> when absent — <c>await ctx.GetAsync(Items, [])</c> reads a
    /// collection without a null check. The default is not written to state.
    /// </summary>
    DurableFuture<T> GetAsync<T>(StateKey<T> key, T defaultValue);

    /// <summary>The names of every state entry of this object (strings: entries may have any type).</summary>

    DurableFuture<IReadOnlyList<string>> StateKeysAsync();
}

/// <summary>Exclusive handlers of a virtual object: one at a time per key; read and write state.</summary>
public interface IObjectContext : ISharedObjectContext
{
    /// <summary>Writes a state entry; journaled, so it is visible to later invocations once this one completes.</summary>
    void Set<T>(StateKey<T> key, T value);

    /// <summary>Removes a state entry.</summary>
    void Clear<T>(StateKey<T> key);

    /// <summary>Removes every state entry of this object.</summary>
    void ClearAll();
}

/// <summary>Shared handlers of a workflow: state reads and durable promises.</summary>
public interface ISharedWorkflowContext : ISharedObjectContext
{
    /// <summary>Waits until the promise is resolved (or rejected).</summary>
    DurableFuture<T> PromiseAsync<T>(string name);

    /// <summary>The promise's value if resolved now, without waiting.</summary>
    DurableFuture<PromiseState<T>> PeekPromiseAsync<T>(string name);

    /// <summary>Resolves the promise; fails with 409 when it was already completed.</summary>
    DurableFuture ResolvePromiseAsync<T>(string name, T value);

    /// <summary>Rejects the promise: its waiters get a terminal error; fails with 409 when it was already completed.</summary>
    DurableFuture RejectPromiseAsync(string name, string reason);
}

/// <summary>The workflow's run handler: executes once per workflow id.</summary>
public interface IWorkflowContext : ISharedWorkflowContext, IObjectContext;

/// <summary>A peeked promise: completed or not, and its value.</summary>
public sealed record PromiseState<T>(bool IsCompleted, T? Value);

/// <summary>An awakeable: its id (for whoever completes it) and the future of its value.</summary>
public sealed record Awakeable<T>(string Id, DurableFuture<T> Future);

/// <summary>
/// Typed clients (usually generated by Keel.Sdk.Generators) implement this so contexts can create
/// them without reflection.
/// </summary>
public interface IKeelClient<TSelf> where TSelf : IKeelClient<TSelf>
{
    /// <summary>The key is null for services.</summary>
    static abstract TSelf Create(IContext context, string? key);
}
