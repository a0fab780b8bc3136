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
