using System.Text.RegularExpressions;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;

namespace Keel.Server.Admin;

/// <summary>A manifest the runtime cannot accept; the message says why.</summary>
public sealed class ManifestException : Exception
{
    public ManifestException() { }

    public ManifestException(string message) : base(message) { }

    public ManifestException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The endpoint manifest's registration rules: mode, protocol range, names, handler kinds, retry policies.</summary>
public static partial class ManifestValidator
{
    [GeneratedRegex("^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$")]
    private static partial Regex HandlerName();

    public static void Validate(EndpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.ProtocolMode is null)
        {
            throw new ManifestException("The manifest has no protocolMode.");
        }

        if (manifest.MinProtocolVersion > manifest.MaxProtocolVersion
            || manifest.MinProtocolVersion > ServiceProtocolVersions.MaxSupported
            || manifest.MaxProtocolVersion < ServiceProtocolVersions.MinSupported)
        {
            throw new ManifestException($"Unsupported service protocol versions {manifest.MinProtocolVersion}..{manifest.MaxProtocolVersion}; this server speaks {ServiceProtocolVersions.MinSupported}..{ServiceProtocolVersions.MaxSupported}.");
        }

        foreach (var service in manifest.Services)
        {
            if (!ServiceName().IsMatch(service.Name) || service.Name.StartsWith("restate", StringComparison.OrdinalIgnoreCase) || service.Name == "openapi")
            {
                throw new ManifestException($"Invalid or reserved service name '{service.Name}'.");
            }

            if (service.RetryPolicyProblem() is { } serviceRetry)
            {
                throw new ManifestException($"Invalid retry policy of service '{service.Name}': {serviceRetry}");
            }

            foreach (var handler in service.Handlers)
            {
                if (!HandlerName().IsMatch(handler.Name))
                {
                    throw new ManifestException($"Invalid handler name '{service.Name}/{handler.Name}'.");
                }

                if (handler.RetryPolicyProblem() is { } handlerRetry)
                {
                    throw new ManifestException($"Invalid retry policy of handler '{service.Name}/{handler.Name}': {handlerRetry}");
                }

                KindOf(service.Ty, handler);
            }

            if (service.Ty == ServiceType.Workflow && service.Handlers.Count(h => h.Ty == HandlerType.Workflow) != 1)
            {
                throw new ManifestException($"Workflow '{service.Name}' must have exactly one WORKFLOW handler.");
            }
        }
    }

    /// <summary>Normalised kind: services have none (shared), objects default to exclusive, workflows to shared.</summary>
    public static HandlerType KindOf(ServiceType service, HandlerManifest handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return (service, handler.Ty) switch
        {
            (ServiceType.Service, null or HandlerType.Shared) => HandlerType.Shared,
            (ServiceType.VirtualObject, null or HandlerType.Exclusive) => HandlerType.Exclusive,
            (ServiceType.VirtualObject, HandlerType.Shared) => HandlerType.Shared,
            (ServiceType.Workflow, null or HandlerType.Shared) => HandlerType.Shared,
            (ServiceType.Workflow, HandlerType.Workflow) => HandlerType.Workflow,
            _ => throw new ManifestException($"Handler '{handler.Name}' of a {service} cannot be {handler.Ty}."),
        };
    }
}
