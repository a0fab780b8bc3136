using System.Text.Json.Serialization;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;

namespace Keel.Server.Contracts;

/// <summary>
/// Read access to the registered services (owned by the admin side, persisted by it). The core asks
/// it what kind a target is and where to invoke it; it never changes it.
/// </summary>
public interface ISchemaView
{
    bool TryGetService(string service, out ServiceInfo info);

    bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo);

    bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment);

    /// <summary>A view that does not change while it is used (the partition takes one per batch).</summary>
    ISchemaView Snapshot() => this;
}

public sealed record ServiceInfo(
    string Name,
    ServiceType Type,
    string DeploymentId,
    IReadOnlyDictionary<string, HandlerInfo> Handlers,
    int Revision,
    bool Public = true,
    TimeSpan? IdempotencyRetention = null,
    TimeSpan? WorkflowCompletionRetention = null,
    TimeSpan? InactivityTimeout = null,
    TimeSpan? AbortTimeout = null,
    bool EnableLazyState = false,
    RetryPolicySettings? RetryPolicy = null,
    TimeSpan? JournalRetention = null,
    string? Documentation = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    DeadlockPolicy? Deadlock = null);

/// <summary>
/// What the server does when a deadlock it detects involves the service (set by <c>PATCH /services/{name}</c>;
/// null means <see cref="Report"/>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeadlockPolicy>))]
public enum DeadlockPolicy
{
    /// <summary>List the cycle on <c>GET /deadlocks</c>, log it and count it; an operator breaks it.</summary>
    Report,

    /// <summary>Also break it at once: the queued call that closed it fails with a terminal 409 "deadlock: …".</summary>
    Fail,
}

/// <summary>A handler; <see cref="Kind"/> is already normalised (object default = exclusive, workflow default = shared).</summary>
public sealed record HandlerInfo(
    string Name,
    HandlerType Kind,
    InputPayload? Input = null,
    OutputPayload? Output = null,
    bool Public = true,
    TimeSpan? InactivityTimeout = null,
    TimeSpan? AbortTimeout = null,
    bool? EnableLazyState = null,
    RetryPolicySettings? RetryPolicy = null,
    TimeSpan? IdempotencyRetention = null,
    TimeSpan? JournalRetention = null,
    TimeSpan? WorkflowCompletionRetention = null,
    string? Documentation = null,
    IReadOnlyDictionary<string, string>? Metadata = null);

/// <summary>What the server does once an invocation has used up its retry attempts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OnMaxAttempts>))]
public enum OnMaxAttempts
{
    /// <summary>Keep the invocation, paused, until an operator resumes or kills it (the server default).</summary>
    Pause,

    /// <summary>Kill the invocation, as if an operator had killed it.</summary>
    Kill,
}

/// <summary>
/// The retry-policy overrides a service or a handler declares in its manifest (v4 <c>retryPolicy*</c>
/// members). Each member left null falls back to the next level: handler, then service, then the
/// server default (see <c>EffectiveRetryPolicy.Resolve</c>).
/// </summary>
/// <param name="MaxAttempts">Attempts in total, the first one included; at least 1.</param>
public sealed record RetryPolicySettings(
    TimeSpan? InitialInterval = null,
    double? Factor = null,
    TimeSpan? MaxInterval = null,
    int? MaxAttempts = null,
    OnMaxAttempts? OnMaxAttempts = null)
{
    /// <summary>
    /// The overrides of one manifest service or handler, or null when it sets none. Expects options that
    /// passed <see cref="ManifestOptions.RetryPolicyProblem"/>. A max attempts of 0 becomes 1.
    /// </summary>
    public static RetryPolicySettings? FromManifest(ManifestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.HasRetryPolicy)
        {
            return null;
        }

        return new RetryPolicySettings(
            options.RetryPolicyInitialInterval is { } initial ? TimeSpan.FromMilliseconds(initial) : null,
            options.RetryPolicyExponentiationFactor,
            options.RetryPolicyMaxInterval is { } max ? TimeSpan.FromMilliseconds(max) : null,
            options.RetryPolicyMaxAttempts is { } attempts ? Math.Max(1, attempts) : null,
            options.RetryPolicyOnMaxAttempts switch
            {
                RetryPolicyOnMaxAttempts.Pause => Contracts.OnMaxAttempts.Pause,
                RetryPolicyOnMaxAttempts.Kill => Contracts.OnMaxAttempts.Kill,
                _ => null,
            });
    }
}

public enum DeploymentHttpVersion
{
    Http2PriorKnowledge,
    Http11,
}

public sealed record DeploymentInfo(
    string Id,
    Uri Uri,
    ProtocolMode Mode,
    DeploymentHttpVersion HttpVersion,
    int MinProtocolVersion,
    int MaxProtocolVersion,
    IReadOnlyDictionary<string, string> AdditionalHeaders,
    string? SdkVersion,
    DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, string>? Metadata = null)
{
    /// <summary>The version a new invocation pins: min(deployment max, allowed max), if the ranges overlap.</summary>
    public ServiceProtocolVersion PickVersion(int maxAllowed) =>
        Math.Min(MaxProtocolVersion, maxAllowed) is var v && v >= Math.Max(MinProtocolVersion, ServiceProtocolVersions.MinSupported)
            ? (ServiceProtocolVersion)v
            : ServiceProtocolVersion.Unspecified;
}
