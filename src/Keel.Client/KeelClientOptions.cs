using System.Text.Json;
using Keel.Sdk;

namespace Keel.Client;

/// <summary>Where the ingress is and how payloads are serialized.</summary>
public sealed class KeelClientOptions
{
    /// <summary>The ingress base address, e.g. <c>http://localhost:8080</c>.</summary>
    public Uri? IngressUrl { get; set; }

    /// <summary>The serializer options; the SDK's defaults (camelCase, enums as names) unless changed.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new KeelJsonOptions().JsonSerializerOptions;
}

/// <summary>Options of one ingress call or send.</summary>
public sealed record IngressCallOptions
{
    /// <summary>Sent as the <c>idempotency-key</c> header: the same key returns the same invocation.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>More request headers, passed to the handler.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
}

/// <summary>The answer to a send: the invocation's id and whether it was new.</summary>
public sealed record SendResult(string InvocationId, string Status);
