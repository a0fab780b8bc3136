using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Protocol.Manifest;

/// <summary>
/// The endpoint manifest served at <c>GET /discover</c> (versions v2–v4 share this JSON model).
/// Durations are integers in milliseconds. Null members are omitted when written.
/// </summary>
public sealed record EndpointManifest
{
    /// <summary>How the runtime talks to the endpoint: HTTP/2 streams or HTTP/1.1 request-response.</summary>
    [JsonPropertyName("protocolMode")] public ProtocolMode? ProtocolMode { get; init; }
    /// <summary>The oldest service protocol version the endpoint speaks.</summary>
    [JsonPropertyName("minProtocolVersion")] public int MinProtocolVersion { get; init; }
    /// <summary>The newest service protocol version the endpoint speaks.</summary>
    [JsonPropertyName("maxProtocolVersion")] public int MaxProtocolVersion { get; init; }
    /// <summary>Payload compression for AWS Lambda endpoints; unused by Keel.</summary>
    [JsonPropertyName("lambdaCompression")] public string? LambdaCompression { get; init; }
    /// <summary>The services the endpoint serves.</summary>
    [JsonPropertyName("services")] public IReadOnlyList<ServiceManifest> Services { get; init; } = [];

    /// <summary>The serializer options the manifest is written and read with (nulls left out).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The manifest as served at discovery.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a manifest as an endpoint serves it.</summary>
    public static EndpointManifest FromJson(string json) =>
        JsonSerializer.Deserialize<EndpointManifest>(json, JsonOptions)
        ?? throw new JsonException("The manifest is JSON null.");

    /// <summary>The content type of a manifest, before its version.</summary>
    public const string ContentTypePrefix = "application/vnd.restate.endpointmanifest.v";

    /// <summary>The content type of manifest version <paramref name="version"/>.</summary>
    public static string ContentType(int version) => ContentTypePrefix + version + "+json";
}

/// <summary>How the runtime connects to an endpoint.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ProtocolMode>))]
public enum ProtocolMode
{
    /// <summary>HTTP/2 (cleartext or TLS): one bidirectional stream per attempt; the handler can suspend mid-stream and resume.</summary>
    [JsonStringEnumMemberName("BIDI_STREAM")] BidiStream,
    /// <summary>HTTP/1.1 request-response: each round trip ends the attempt, which the runtime resumes with a new request.</summary>
    [JsonStringEnumMemberName("REQUEST_RESPONSE")] RequestResponse,
}

/// <summary>The kinds of service.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ServiceType>))]
public enum ServiceType
{
    /// <summary>Stateless; handlers run concurrently.</summary>
    [JsonStringEnumMemberName("SERVICE")] Service,
    /// <summary>Keyed, with state; exclusive handlers run one at a time per key.</summary>
    [JsonStringEnumMemberName("VIRTUAL_OBJECT")] VirtualObject,
    /// <summary>Keyed by workflow id; its run handler runs once per id.</summary>
    [JsonStringEnumMemberName("WORKFLOW")] Workflow,
}

/// <summary>The kinds of handler of objects and workflows.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HandlerType>))]
public enum HandlerType
{
    /// <summary>The workflow's run handler.</summary>
    [JsonStringEnumMemberName("WORKFLOW")] Workflow,
    /// <summary>Holds the key's lock; may write state.</summary>
    [JsonStringEnumMemberName("EXCLUSIVE")] Exclusive,
    /// <summary>Runs concurrently with others; reads state only.</summary>
    [JsonStringEnumMemberName("SHARED")] Shared,
}

/// <summary>What the runtime does when an invocation has used up its attempts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RetryPolicyOnMaxAttempts>))]
public enum RetryPolicyOnMaxAttempts
{
    /// <summary>Pause it, to be resumed by an operator.</summary>
    [JsonStringEnumMemberName("PAUSE")] Pause,
    /// <summary>Kill it: it fails for good.</summary>
    [JsonStringEnumMemberName("KILL")] Kill,
}

/// <summary>Options a service and a handler share (v3 and v4 additions).</summary>
public abstract record ManifestOptions
{
    /// <summary>Free text shown by tools.</summary>
    [JsonPropertyName("documentation")] public string? Documentation { get; init; }
    /// <summary>Key/value pairs for tools; not interpreted by the runtime.</summary>
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }
    /// <summary>Milliseconds without progress before the runtime asks the attempt to suspend.</summary>
    [JsonPropertyName("inactivityTimeout")] public long? InactivityTimeout { get; init; }
    /// <summary>Milliseconds after the inactivity timeout before the runtime aborts the attempt.</summary>
    [JsonPropertyName("abortTimeout")] public long? AbortTimeout { get; init; }
    /// <summary>Milliseconds a finished invocation's journal is kept.</summary>
    [JsonPropertyName("journalRetention")] public long? JournalRetention { get; init; }
    /// <summary>Milliseconds an idempotent invocation's result is kept for repeated requests.</summary>
    [JsonPropertyName("idempotencyRetention")] public long? IdempotencyRetention { get; init; }
    /// <summary>Send no state with the start message; the SDK reads entries on demand.</summary>
    [JsonPropertyName("enableLazyState")] public bool? EnableLazyState { get; init; }
    /// <summary>Reachable only from other handlers, not through the ingress.</summary>
    [JsonPropertyName("ingressPrivate")] public bool? IngressPrivate { get; init; }
    /// <summary>Milliseconds before the first retry of a failed attempt.</summary>
    [JsonPropertyName("retryPolicyInitialInterval")] public long? RetryPolicyInitialInterval { get; init; }
    /// <summary>The longest wait between retries, in milliseconds.</summary>
    [JsonPropertyName("retryPolicyMaxInterval")] public long? RetryPolicyMaxInterval { get; init; }
    /// <summary>How many attempts before <see cref="RetryPolicyOnMaxAttempts"/> applies.</summary>
    [JsonPropertyName("retryPolicyMaxAttempts")] public int? RetryPolicyMaxAttempts { get; init; }
    /// <summary>Each retry waits this many times longer than the one before.</summary>
    [JsonPropertyName("retryPolicyExponentiationFactor")] public double? RetryPolicyExponentiationFactor { get; init; }
    /// <summary>What happens when the attempts are used up: pause or kill.</summary>
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

/// <summary>One service in the manifest.</summary>
public sealed record ServiceManifest : ManifestOptions
{
    /// <summary>The service's name (what URLs and calls use).</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Service, virtual object or workflow.</summary>
    [JsonPropertyName("ty")] public required ServiceType Ty { get; init; }
    /// <summary>The service's handlers.</summary>
    [JsonPropertyName("handlers")] public IReadOnlyList<HandlerManifest> Handlers { get; init; } = [];
}

/// <summary>One handler in the manifest.</summary>
public sealed record HandlerManifest : ManifestOptions
{
    /// <summary>The handler's wire name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Exclusive, shared or workflow run; null for plain services.</summary>
    [JsonPropertyName("ty")] public HandlerType? Ty { get; init; }
    /// <summary>What the handler accepts.</summary>
    [JsonPropertyName("input")] public InputPayload? Input { get; init; }
    /// <summary>What the handler returns.</summary>
    [JsonPropertyName("output")] public OutputPayload? Output { get; init; }
    /// <summary>Milliseconds a finished workflow stays reachable (its run handler only).</summary>
    [JsonPropertyName("workflowCompletionRetention")] public long? WorkflowCompletionRetention { get; init; }
}

/// <summary>What a handler accepts as input.</summary>
public sealed record InputPayload
{
    /// <summary>Whether a request must carry a body.</summary>
    [JsonPropertyName("required")] public bool? Required { get; init; }
    /// <summary>The accepted content type.</summary>
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    /// <summary>The JSON schema of the input, when known.</summary>
    [JsonPropertyName("jsonSchema")] public JsonElement? JsonSchema { get; init; }
}

/// <summary>What a handler returns.</summary>
public sealed record OutputPayload
{
    /// <summary>The content type of the result.</summary>
    [JsonPropertyName("contentType")] public string? ContentType { get; init; }
    /// <summary>Whether an empty result still carries the content type.</summary>
    [JsonPropertyName("setContentTypeIfEmpty")] public bool? SetContentTypeIfEmpty { get; init; }
    /// <summary>The JSON schema of the result, when known.</summary>
    [JsonPropertyName("jsonSchema")] public JsonElement? JsonSchema { get; init; }
}
