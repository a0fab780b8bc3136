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
    bool EnableLazyState = false);

/// <summary>A handler; <see cref="Kind"/> is already normalised (object default = exclusive, workflow default = shared).</summary>
public sealed record HandlerInfo(
    string Name,
    HandlerType Kind,
    InputPayload? Input = null,
    OutputPayload? Output = null,
    bool Public = true,
    TimeSpan? InactivityTimeout = null,
    TimeSpan? AbortTimeout = null,
    bool? EnableLazyState = null);

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
    DateTimeOffset CreatedAt)
{
    /// <summary>The version a new invocation pins: min(deployment max, allowed max), if the ranges overlap.</summary>
    public ServiceProtocolVersion PickVersion(int maxAllowed) =>
        Math.Min(MaxProtocolVersion, maxAllowed) is var v && v >= Math.Max(MinProtocolVersion, ServiceProtocolVersions.MinSupported)
            ? (ServiceProtocolVersion)v
            : ServiceProtocolVersion.Unspecified;
}
