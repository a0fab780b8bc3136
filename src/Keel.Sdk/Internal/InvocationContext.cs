using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>The one implementation of every context interface; the interfaces limit what a handler sees.</summary>
internal sealed partial class InvocationContext : IWorkflowContext
{
    private readonly InvocationDriver _driver;
    private readonly IVm _vm;

    public InvocationContext(InvocationDriver driver, InvocationInput input, Microsoft.Extensions.Logging.ILogger logger)
    {
        Logger = new ReplayAwareLogger(logger, () => driver.Vm.IsReplaying);
        _driver = driver;
        _vm = driver.Vm;
        Input = input;
        InvocationId = input.InvocationId;
        Key = input.Key;
        Headers = input.Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);
        Random = new Random(unchecked((int)input.RandomSeed ^ (int)(input.RandomSeed >> 32)));
    }

    public InvocationInput Input { get; }

    public Microsoft.Extensions.Logging.ILogger Logger { get; }

    public string InvocationId { get; }

    public string Key { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

#pragma warning disable CA5394 // Deterministic replay needs a seeded generator, not a cryptographic one.
    public Random Random { get; }
#pragma warning restore CA5394

    private LeafFuture<T> Leaf<T>(NotificationHandle handle, Func<NotificationResult, T> convert) => new(_driver, handle, convert);

    private T FromValue<T>(NotificationResult result) => result switch
    {
        NotificationResult.Success s => _driver.Serde.Deserialize<T>(s.Value),
        _ => default!,
    };

    private byte[] Payload(object? value) => value is null ? [] : _driver.Serde.Serialize(value, value.GetType());

    public DurableFuture<DateTimeOffset> NowAsync()
    {
        _driver.EnsureOnPump(nameof(NowAsync));
        return RunAsync("now", () => Task.FromResult(_driver.Time.GetUtcNow()));
    }

    public DurableFuture SleepAsync(TimeSpan duration, string? name = null)
    {
        _driver.EnsureOnPump(nameof(SleepAsync));
        return Leaf(_vm.SysSleep(_driver.Time.GetUtcNow() + duration, name), _ => true).AsVoid();
    }

    public DurableFuture<T> RunAsync<T>(string name, Func<Task<T>> action, RetryPolicy? retryPolicy = null)
    {
        _driver.EnsureOnPump(nameof(RunAsync));
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync<T>(name, _ => action(), retryPolicy);
    }

    public DurableFuture<T> RunAsync<T>(string name, Func<CancellationToken, Task<T>> action, RetryPolicy? retryPolicy = null)
    {
        _driver.EnsureOnPump(nameof(RunAsync));
        ArgumentNullException.ThrowIfNull(action);
        var handle = _vm.SysRun(name);
        _driver.RegisterRun(handle, name, async ct => _driver.Serde.Serialize(await action(ct), typeof(T)), retryPolicy ?? RetryPolicy.Default);
        return Leaf(handle, FromValue<T>);
    }

    public DurableFuture RunAsync(string name, Func<Task> action, RetryPolicy? retryPolicy = null)
    {
        _driver.EnsureOnPump(nameof(RunAsync));
        ArgumentNullException.ThrowIfNull(action);
        return RunAsync(name, _ => action(), retryPolicy);
    }

    public DurableFuture RunAsync(string name, Func<CancellationToken, Task> action, RetryPolicy? retryPolicy = null)
    {
        _driver.EnsureOnPump(nameof(RunAsync));
        ArgumentNullException.ThrowIfNull(action);
        var handle = _vm.SysRun(name);
        _driver.RegisterRun(handle, name, async ct => { await action(ct); return []; }, retryPolicy ?? RetryPolicy.Default);
        return Leaf(handle, _ => true).AsVoid();
    }

    public DurableFuture<TResponse> CallAsync<TResponse>(Target target, object? request = null, CallOptions? options = null)
    {
        _driver.EnsureOnPump(nameof(CallAsync));
        ArgumentNullException.ThrowIfNull(target);
        KeelTelemetry.Issued("call", target, _vm.IsReplaying);
        var handles = _vm.SysCall(new CallTarget(target.ServiceName, target.HandlerName, target.Key), Payload(request), options?.ToCore());
        return Leaf(handles.Result, FromValue<TResponse>);
    }

    public DurableFuture CallAsync(Target target, object? request = null, CallOptions? options = null)
    {
        _driver.EnsureOnPump(nameof(CallAsync));
        ArgumentNullException.ThrowIfNull(target);
        KeelTelemetry.Issued("call", target, _vm.IsReplaying);
        var handles = _vm.SysCall(new CallTarget(target.ServiceName, target.HandlerName, target.Key), Payload(request), options?.ToCore());
        return Leaf(handles.Result, _ => true).AsVoid();
    }

    public InvocationHandle Send(Target target, object? request = null, TimeSpan? delay = null, CallOptions? options = null)
    {
        _driver.EnsureOnPump(nameof(Send));
        ArgumentNullException.ThrowIfNull(target);
        DateTimeOffset? at = delay is { } d && d > TimeSpan.Zero ? _driver.Time.GetUtcNow() + d : null;
        KeelTelemetry.Issued("send", target, _vm.IsReplaying);
        var handle = _vm.SysSend(new CallTarget(target.ServiceName, target.HandlerName, target.Key), Payload(request), at, options?.ToCore());
        return new InvocationHandle(Leaf(handle, r => ((NotificationResult.InvocationId)r).Id));
    }

    public TClient Service<TClient>() where TClient : IKeelClient<TClient>
    {
        _driver.EnsureOnPump(nameof(Service));
        return TClient.Create(this, null);
    }

    public TClient Object<TClient>(string key) where TClient : IKeelClient<TClient>
    {
        _driver.EnsureOnPump(nameof(Object));
        return TClient.Create(this, key);
    }

    public TClient Workflow<TClient>(string workflowId) where TClient : IKeelClient<TClient>
    {
        _driver.EnsureOnPump(nameof(Workflow));
        return TClient.Create(this, workflowId);
    }

    public Awakeable<T> Awakeable<T>()
    {
        _driver.EnsureOnPump(nameof(Awakeable));
        var (id, handle) = _vm.SysAwakeable();
        return new Awakeable<T>(id, Leaf(handle, FromValue<T>));
    }

    public void ResolveAwakeable<T>(string awakeableId, T value)
    {
        _driver.EnsureOnPump(nameof(ResolveAwakeable));
        _vm.SysCompleteAwakeable(awakeableId, new CompletionValue.Success(_driver.Serde.Serialize(value, typeof(T))));
    }

    public void RejectAwakeable(string awakeableId, string reason, ushort code = TerminalException.DefaultCode)
    {
        _driver.EnsureOnPump(nameof(RejectAwakeable));
        _vm.SysCompleteAwakeable(awakeableId, new CompletionValue.Failure(new TerminalFailure(code, reason)));
    }

    public DurableFuture<T> SignalAsync<T>(string name)
    {
        _driver.EnsureOnPump(nameof(SignalAsync));
        return Leaf(_vm.SysNamedSignal(name), FromValue<T>);
    }

    public void ResolveSignal<T>(string invocationId, string name, T value)
    {
        _driver.EnsureOnPump(nameof(ResolveSignal));
        _vm.SysCompleteNamedSignal(invocationId, name, new CompletionValue.Success(_driver.Serde.Serialize(value, typeof(T))));
    }

    public void RejectSignal(string invocationId, string name, string reason)
    {
        _driver.EnsureOnPump(nameof(RejectSignal));
        _vm.SysCompleteNamedSignal(invocationId, name, new CompletionValue.Failure(new TerminalFailure(TerminalException.DefaultCode, reason)));
    }

    public void CancelInvocation(string invocationId)
    {
        _driver.EnsureOnPump(nameof(CancelInvocation));
        _vm.SysCancelInvocation(invocationId);
    }

    public DurableFuture<T> AttachAsync<T>(string invocationId)
    {
        _driver.EnsureOnPump(nameof(AttachAsync));
        return Leaf(_vm.SysAttachInvocation(new InvocationTarget.ById(invocationId)), FromValue<T>);
    }
}
