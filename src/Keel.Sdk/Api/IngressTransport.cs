namespace Keel.Sdk;

/// <summary>
/// Calls handlers from outside a handler, through the ingress (Keel.Client implements it). The
/// generated <c>…IngressClient</c> types talk to it, as the <c>…Client</c> types talk to the context
/// inside handlers.
/// </summary>
public interface IIngressTransport
{
    /// <summary>Calls a handler and waits for its result.</summary>
    Task<TOut> CallAsync<TOut>(Target target, object? input = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Calls a handler without a result and waits for it to finish.</summary>
    Task CallAsync(Target target, object? input = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Starts an invocation (after <paramref name="delay"/>, if given) without waiting for it.</summary>
    Task<SendResult> SendAsync(Target target, object? input = null, TimeSpan? delay = null, IngressCallOptions? options = null, CancellationToken cancellationToken = default);
}

/// <summary>A typed ingress client (generated): <c>client.Object&lt;CounterIngressClient&gt;("k").AddAsync(1)</c>.</summary>
public interface IIngressClient<TSelf> where TSelf : IIngressClient<TSelf>
{
    /// <summary>The key is null for services.</summary>
    static abstract TSelf Create(IIngressTransport transport, string? key);
}

/// <summary>Options of one ingress call or send.</summary>
public sealed record IngressCallOptions
{
    /// <summary>Sent as the <c>idempotency-key</c> header: the same key returns the same invocation.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>More request headers, passed to the handler.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

/// <summary>The answer to an ingress send: the invocation's id and its status (<c>Accepted</c> or <c>PreviouslyAccepted</c>).</summary>
public sealed record SendResult(string InvocationId, string Status);
