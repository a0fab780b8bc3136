using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Query;

/// <summary>One registered service, as the <c>sys_service</c> table shows it.</summary>
/// <param name="Ty"><c>service</c>, <c>virtual_object</c> or <c>workflow</c>.</param>
public sealed record ServiceRow(string Name, ulong Revision, bool Public, string Ty, string DeploymentId)
{
    /// <summary>The row of a registered service.</summary>
    public static ServiceRow From(ServiceInfo service)
    {
        ArgumentNullException.ThrowIfNull(service);
        return new ServiceRow(service.Name, (ulong)Math.Max(0, service.Revision), service.Public, TypeName(service.Type), service.DeploymentId);
    }

    /// <summary>The SQL spelling of a service type.</summary>
    public static string TypeName(ServiceType type) => type switch
    {
        ServiceType.VirtualObject => "virtual_object",
        ServiceType.Workflow => "workflow",
        _ => "service",
    };
}

/// <summary>One registered deployment, as the <c>sys_deployment</c> table shows it.</summary>
/// <param name="Ty">The deployment's kind; Keel only has <c>http</c> deployments.</param>
/// <param name="Services">The names of the services the deployment serves now.</param>
public sealed record DeploymentRow(
    string Id, string Ty, string Endpoint, DateTime CreatedAt,
    uint MinServiceProtocolVersion, uint MaxServiceProtocolVersion, IReadOnlyList<string> Services)
{
    /// <summary>The row of a registered deployment; <paramref name="services"/> are all registered services.</summary>
    public static DeploymentRow From(DeploymentInfo deployment, IEnumerable<ServiceInfo> services)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(services);
        return new DeploymentRow(
            deployment.Id, "http", deployment.Uri.ToString(), deployment.CreatedAt.UtcDateTime,
            (uint)Math.Max(0, deployment.MinProtocolVersion), (uint)Math.Max(0, deployment.MaxProtocolVersion),
            [.. services.Where(s => s.DeploymentId == deployment.Id).Select(s => s.Name).Order(StringComparer.Ordinal)]);
    }
}
