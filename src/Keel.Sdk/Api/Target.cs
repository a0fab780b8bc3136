namespace Keel.Sdk;

/// <summary>
/// Where a call or send goes. Built only through the named factories, so a handler name can never be
/// taken for a key by accident.
/// </summary>
public sealed record Target
{
    private Target(string service, string handler, string? key)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(handler);
        ServiceName = service;
        HandlerName = handler;
        Key = key;
    }

    /// <summary>The service, object or workflow name.</summary>
    public string ServiceName { get; }

    /// <summary>The handler's wire name.</summary>
    public string HandlerName { get; }

    /// <summary>The object key or workflow id; null for a service.</summary>
    public string? Key { get; }

    /// <summary>A handler of a stateless service.</summary>
    public static Target Service(string service, string handler) => new(service, handler, null);

    /// <summary>A handler of the virtual object with this key.</summary>
    public static Target Object(string service, string key, string handler)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(service, handler, key);
    }

    /// <summary>A handler of the workflow with this id.</summary>
    public static Target Workflow(string service, string workflowId, string handler)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        return new(service, handler, workflowId);
    }

    /// <summary><c>Service/handler</c> or <c>Service/key/handler</c>, as in ingress URLs.</summary>
    public override string ToString() => Key is null ? $"{ServiceName}/{HandlerName}" : $"{ServiceName}/{Key}/{HandlerName}";
}

/// <summary>Options of a call or send.</summary>
public sealed record CallOptions
{
    /// <summary>Calls with the same key run once; later ones get the first one's result.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Headers passed to the callee.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    internal Core.CallOptions ToCore() => new(IdempotencyKey, Headers?.ToList());
}

/// <summary>A sent invocation; await <see cref="InvocationId"/> to learn its id.</summary>
public sealed class InvocationHandle
{
    internal InvocationHandle(DurableFuture<string> invocationId) => InvocationId = invocationId;

    /// <summary>The callee's invocation id, once the runtime has assigned it.</summary>
    public DurableFuture<string> InvocationId { get; }
}
