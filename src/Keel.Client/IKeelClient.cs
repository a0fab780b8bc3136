using Keel.Sdk;

namespace Keel.Client;

/// <summary>
/// Calls Keel (or Restate) handlers from code that is not a handler: an ASP.NET controller, a console
/// app, a test. Every method is one ingress HTTP request. A terminal failure of the invocation (or an
/// ingress error with a body) throws <see cref="TerminalException"/> with its code and message;
/// transport failures stay <see cref="HttpRequestException"/>.
/// </summary>
public interface IKeelClient : IIngressTransport
{
    /// <summary>A typed client of a service: <c>client.Service&lt;GreeterIngressClient&gt;().GreetAsync(x)</c>.</summary>
    TClient Service<TClient>() where TClient : IIngressClient<TClient>;

    /// <summary>A typed client of the virtual object with this key.</summary>
    TClient Object<TClient>(string key) where TClient : IIngressClient<TClient>;

    /// <summary>A typed client of the workflow with this id.</summary>
    TClient Workflow<TClient>(string workflowId) where TClient : IIngressClient<TClient>;

    /// <summary>Waits for an invocation to finish and returns its result.</summary>
    Task<TOut> AttachAsync<TOut>(InvocationRef invocation, CancellationToken cancellationToken = default);

    /// <summary>The result of a finished invocation; <see cref="TerminalException"/> (470) if it has not finished.</summary>
    Task<TOut> GetOutputAsync<TOut>(InvocationRef invocation, CancellationToken cancellationToken = default);

    /// <summary>Completes an awakeable with a value.</summary>
    Task ResolveAwakeableAsync<T>(string awakeableId, T value, CancellationToken cancellationToken = default);

    /// <summary>Fails an awakeable: its awaiter sees a <see cref="TerminalException"/> with the reason.</summary>
    Task RejectAwakeableAsync(string awakeableId, string reason, CancellationToken cancellationToken = default);
}

/// <summary>Which invocation to attach to or read the output of.</summary>
public sealed record InvocationRef
{
    private InvocationRef(string path) => Path = path;

    internal string Path { get; }

    /// <summary>By the invocation id (<c>inv_…</c>).</summary>
    public static InvocationRef ById(string invocationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(invocationId);
        return new($"restate/invocation/{Uri.EscapeDataString(invocationId)}");
    }

    /// <summary>A workflow's run, by the workflow name and id.</summary>
    public static InvocationRef ByWorkflow(string workflowName, string workflowId)
    {
        ArgumentException.ThrowIfNullOrEmpty(workflowName);
        ArgumentNullException.ThrowIfNull(workflowId);
        return new($"restate/workflow/{Uri.EscapeDataString(workflowName)}/{Uri.EscapeDataString(workflowId)}");
    }

    /// <summary>By the target and the idempotency key it was called with.</summary>
    public static InvocationRef ByIdempotencyKey(Target target, string idempotencyKey)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
        var key = target.Key is null ? "" : Uri.EscapeDataString(target.Key) + "/";
        return new($"restate/invocation/{Uri.EscapeDataString(target.ServiceName)}/{key}{Uri.EscapeDataString(target.HandlerName)}/{Uri.EscapeDataString(idempotencyKey)}");
    }

    /// <summary>The ingress path that addresses the invocation.</summary>
    public override string ToString() => Path;
}
