using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Protocol.Manifest;

/// <summary>
/// The endpoint manifest served at <c>GET /discover</c> (versions v2–v4 share this JSON model).
/// Durations are integers in milliseconds. Null members are omitted when written.
/// </summary>
public sealed record EndpointManifest
{
    [JsonPropertyName("protocolMode")] public ProtocolMode? ProtocolMode { get; init; }
    [JsonPropertyName("minProtocolVersion")] public int MinProtocolVersion { get; init; }
    [JsonPropertyName("maxProtocolVersion")] public int MaxProtocolVersion { get; init; }
    [JsonPropertyName("lambdaCompression")] public string? LambdaCompression { get; init; }
    [JsonPropertyName("services")] public IReadOnlyList<ServiceManifest> Services { get; init; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static EndpointManifest FromJson(string json) =>
        JsonSerializer.Deserialize<EndpointManifest>(json, JsonOptions)
        ?? throw new JsonException("The manifest is JSON null.");

    public const string ContentTypePrefix = "application/vnd.restate.endpointmanifest.v";

    public static string ContentType(int version) => ContentTypePrefix + version + "+json";
}

[JsonConverter(typeof(JsonStringEnumConverter<ProtocolMode>))]
public enum ProtocolMode
{
    [JsonStringEnumMemberName("BIDI_STREAM")] BidiStream,
    [JsonStringEnumMemberName("REQUEST_RESPONSE")] RequestResponse,
}

[JsonConverter(typeof(JsonStringEnumConverter<ServiceType>))]
public enum ServiceType
{
    [JsonStringEnumMemberName("SERVICE")] Service,
    [JsonStringEnumMemberName("VIRTUAL_OBJECT")] VirtualObject,
    [JsonStringEnumMemberName("WORKFLOW")] Workflow,
}

[JsonConverter(typeof(JsonStringEnumConverter<HandlerType>))]
public enum HandlerType
{
    [JsonStringEnumMemberName("WORKFLOW")] Workflow,
    [JsonStringEnumMemberName("EXCLUSIVE")] Exclusive,
    [JsonStringEnumMemberName("SHARED")] Shared,
}

[JsonConverter(typeof(JsonStringEnumConverter<RetryPolicyOnMaxAttempts>))]
public enum RetryPolicyOnMaxAttempts
{
    [JsonStringEnumMemberName("PAUSE")] Pause,
    [JsonStringEnumMemberName("KILL")] Kill,
}

/// <summary>Options a service and a handler share (v3 and v4 additions).</summary>
public abstract record ManifestOptions
{
    [JsonPropertyName("documentation")] public string? Documentation { get; init; }
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    [JsonPropertyName("inactivityTimeout")] public long? InactivityTimeout { get; init; }
    [JsonPropertyName("abortTimeout")] public long? AbortTimeout { get; init; }
    [JsonPropertyName("journalRetention")] public long? JournalRetention { get; init; }
    [JsonPropertyName("idempotencyRetention")] public long? IdempotencyRetention { get; init; }
    [JsonPropertyName("enableLazyState")] public bool? EnableLazyState { get; init; }
    [JsonPropertyName("ingressPrivate")] public bool? IngressPrivate { get; init; }
    [JsonPropertyName("retryPolicyInitialInterval")] public long? RetryPolicyInitialInterval { get; init; }
    [JsonPropertyName("retryPolicyMaxInterval")] public long? RetryPolicyMaxInterval { get; init; }
    [JsonPropertyName("retryPolicyMaxAttempts")] public int? RetryPolicyMaxAttempts { get; init; }
    [JsonPropertyName("retryPolicyExponentiationFactor")] public double? RetryPolicyExponentiationFactor { get; init; }
    [JsonPropertyName("retryPolicyOnMaxAttempts")] public RetryPolicyOnMaxAttempts? RetryPolicyOnMaxAttempts { get; init; }

    /// <summary>Whether any of the <c>retryPolicy*</c> members is set.</summary>
    [JsonIgnore]
    public bool HasRetryPolicy =>
        RetryPolicyInitialInterval is not null || RetryPolicyMaxInterval is not null || RetryPolicyMaxAttempts is not null
        || RetryPolicyExponentiationFactor is not null || RetryPolicyOnMaxAttempts is not null;

    /// <summary>
    /// Checks the <c>retryPolicy*</c> members and returns why they are unacceptable, or null when they
    /// are fine. Intervals are milliseconds, at least 0 (as in the manifest schema) and representable as
    /// a <see cref="TimeSpan"/>; max attempts is at least 0 (0 is accepted and means one attempt, as the
    /// Restate server reads it); the exponentiation factor is a finite number of at least 1.
    /// </summary>
    public string? RetryPolicyProblem()
    {
        if (IntervalProblem("retryPolicyInitialInterval", RetryPolicyInitialInterval) is { } initial)
        {
            return initial;
        }

        if (IntervalProblem("retryPolicyMaxInterval", RetryPolicyMaxInterval) is { } max)
        {
            return max;
        }

        if (RetryPolicyMaxAttempts is < 0)
        {
            return $"retryPolicyMaxAttempts must not be negative, got {RetryPolicyMaxAttempts}.";
        }

        if (RetryPolicyExponentiationFactor is { } factor && (!double.IsFinite(factor) || factor < 1))
        {
            return $"retryPolicyExponentiationFactor must be a number of at least 1, got {factor.ToString(System.Globalization.CultureInfo.InvariantCulture)}.";
        }

        return null;
    }

    private static readonly long MaxIntervalMilliseconds = (long)TimeSpan.MaxValue.TotalMilliseconds;

    private static string? IntervalProblem(string name, long? milliseconds) => milliseconds switch
    {
        < 0 => $"{name} must not be negative, got {milliseconds} ms.",
        { } ms when ms > MaxIntervalMilliseconds => $"{name} is too large, got {ms} ms.",
        _ => null,
    };
}

public sealed record ServiceManifest : ManifestOptions
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("ty")] public required ServiceType Ty { get; init; }
    [JsonPropertyName("handlers")] public IReadOnlyList<HandlerManifest> Handlers { get; init; } = [];
}

public sealed record HandlerManifest : ManifestOptions
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("ty")] public HandlerType? Ty { get; init; }
    [JsonPropertyName("input")] public InputPayload? Input { get; init; }
    [JsonPropertyName("output")] public OutputPayload? Output { get; init; }
    [JsonPropertyName("workflowCompletionRetention")] public long? WorkflowCompletionRetention { get; init; }
}

public sealed record InputPayload
{
    [JsonPropertyName("required")] public bool? Required { get; init; }
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    [JsonPropertyName("jsonSchema")] public JsonElement? JsonSchema { get; init; }
}

public sealed record OutputPayload
{
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    [JsonPropertyName("setContentTypeIfEmpty")] public bool? SetContentTypeIfEmpty { get; init; }
    [JsonPropertyName("jsonSchema")] public JsonElement? JsonSchema { get; init; }
}
