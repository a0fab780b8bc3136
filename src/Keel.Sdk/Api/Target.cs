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

    public string ServiceName { get; }

    public string HandlerName { get; }

    public string? Key { get; }

    public static Target Service(string service, string handler) => new(service, handler, null);

    public static Target Object(string service, string key, string handler)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(service, handler, key);
    }

    public static Target Workflow(string service, string workflowId, string handler)
    {
        ArgumentNullException.ThrowIfNull(workflowId);
        return new(service, handler, workflowId);
    }

    public override string ToString() => Key is null ? $"{ServiceName}/{HandlerName}" : $"{ServiceName}/{Key}/{HandlerName}";
}

/// <summary>Options of a call or send.</summary>
public sealed record CallOptions
{
    public string? IdempotencyKey { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    internal Core.CallOptions ToCore() => new(IdempotencyKey, Headers?.ToList());
}

/// <summary>A sent invocation; await <see cref="InvocationId"/> to learn its id.</summary>
public sealed class InvocationHandle
{
    internal InvocationHandle(DurableFuture<string> invocationId) => InvocationId = invocationId;

    public DurableFuture<string> InvocationId { get; }
}
