using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>State and durable promises (objects and workflows).</summary>
internal sealed partial class InvocationContext
{
    public DurableFuture<T?> GetAsync<T>(StateKey<T> key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Leaf(_vm.SysStateGet(key.Name), r => r is NotificationResult.Success s ? Serde.Deserialize<T>(s.Value) : default);
    }

    public DurableFuture<IReadOnlyList<string>> StateKeysAsync() =>
        Leaf(_vm.SysStateGetKeys(), r => ((NotificationResult.StateKeys)r).Keys);

    public void Set<T>(StateKey<T> key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _vm.SysStateSet(key.Name, Serde.Serialize(value, typeof(T)));
    }

    public void Clear(string key) => _vm.SysStateClear(key);

    public void ClearAll() => _vm.SysStateClearAll();

    public DurableFuture<T> PromiseAsync<T>(string name) => Leaf(_vm.SysGetPromise(name), FromValue<T>);

    public DurableFuture<PromiseState<T>> PeekPromiseAsync<T>(string name) =>
        Leaf(_vm.SysPeekPromise(name), r => r is NotificationResult.Success s
            ? new PromiseState<T>(true, Serde.Deserialize<T>(s.Value))
            : new PromiseState<T>(false, default));

    public DurableFuture<bool> ResolvePromiseAsync<T>(string name, T value) =>
        Leaf(_vm.SysCompletePromise(name, new CompletionValue.Success(Serde.Serialize(value, typeof(T)))), _ => true);

    public DurableFuture<bool> RejectPromiseAsync(string name, string reason) =>
        Leaf(_vm.SysCompletePromise(name, new CompletionValue.Failure(new TerminalFailure(TerminalException.DefaultCode, reason))), _ => true);
}
