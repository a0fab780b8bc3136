using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>State and durable promises (objects and workflows).</summary>
internal sealed partial class InvocationContext
{
    public DurableFuture<T?> GetAsync<T>(StateKey<T> key)
    {
        _driver.EnsureOnPump(nameof(GetAsync));
        ArgumentNullException.ThrowIfNull(key);
        return Leaf(_vm.SysStateGet(key.Name), r => r is NotificationResult.Success s ? _driver.Serde.Deserialize<T>(s.Value) : default);
    }

    public DurableFuture<T> GetAsync<T>(StateKey<T> key, T defaultValue)
    {
        _driver.EnsureOnPump(nameof(GetAsync));
        ArgumentNullException.ThrowIfNull(key);
        return Leaf(_vm.SysStateGet(key.Name), r => r is NotificationResult.Success s ? _driver.Serde.Deserialize<T>(s.Value) : defaultValue);
    }

    public DurableFuture<IReadOnlyList<string>> StateKeysAsync()
    {
        _driver.EnsureOnPump(nameof(StateKeysAsync));
        return Leaf(_vm.SysStateGetKeys(), r => ((NotificationResult.StateKeys)r).Keys);
    }

    public void Set<T>(StateKey<T> key, T value)
    {
        _driver.EnsureOnPump(nameof(Set));
        ArgumentNullException.ThrowIfNull(key);
        _vm.SysStateSet(key.Name, _driver.Serde.Serialize(value, typeof(T)));
    }

    public void Clear<T>(StateKey<T> key)
    {
        _driver.EnsureOnPump(nameof(Clear));
        ArgumentNullException.ThrowIfNull(key);
        _vm.SysStateClear(key.Name);
    }

    public void ClearAll()
    {
        _driver.EnsureOnPump(nameof(ClearAll));
        _vm.SysStateClearAll();
    }

    public DurableFuture<T> PromiseAsync<T>(string name)
    {
        _driver.EnsureOnPump(nameof(PromiseAsync));
        return Leaf(_vm.SysGetPromise(name), FromValue<T>);
    }

    public DurableFuture<PromiseState<T>> PeekPromiseAsync<T>(string name)
    {
        _driver.EnsureOnPump(nameof(PeekPromiseAsync));
        return Leaf(_vm.SysPeekPromise(name), r => r is NotificationResult.Success s
            ? new PromiseState<T>(true, _driver.Serde.Deserialize<T>(s.Value))
            : new PromiseState<T>(false, default));
    }

    public DurableFuture ResolvePromiseAsync<T>(string name, T value)
    {
        _driver.EnsureOnPump(nameof(ResolvePromiseAsync));
        return Leaf(_vm.SysCompletePromise(name, new CompletionValue.Success(_driver.Serde.Serialize(value, typeof(T)))), _ => true).AsVoid();
    }

    public DurableFuture RejectPromiseAsync(string name, string reason)
    {
        _driver.EnsureOnPump(nameof(RejectPromiseAsync));
        return Leaf(_vm.SysCompletePromise(name, new CompletionValue.Failure(new TerminalFailure(TerminalException.DefaultCode, reason))), _ => true).AsVoid();
    }
}
