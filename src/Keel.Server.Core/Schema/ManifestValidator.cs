using System.Text.RegularExpressions;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;

namespace Keel.Server.Admin;

/// <summary>
/// A registration the server refuses. The message says what is wrong and what to do;
/// <see cref="Status"/> is the HTTP status of the answer and <see cref="RestateCode"/> the error code
/// Restate gives the same failure, if any.
/// </summary>
public sealed class ManifestException : Exception
{
    public ManifestException() : this("The deployment cannot be registered.") { }

    public ManifestException(string message) : this(message, 400, null) { }

    public ManifestException(string message, Exception inner) : this(message, 400, null, inner) { }

    public ManifestException(string message, int status, string? restateCode, Exception? inner = null) : base(message, inner)
    {
        Status = status;
        RestateCode = restateCode;
    }

    /// <summary>400 for a manifest the schema rules refuse, 409 for a breaking change, 500 when discovery itself failed (as Restate answers).</summary>
    public int Status { get; }

    /// <summary>Restate's code for this failure (<c>META0003</c> unreachable, <c>META0012</c> protocol versions, ...).</summary>
    public string? RestateCode { get; }

    /// <summary>The endpoint could not be reached or did not answer with a usable manifest.</summary>
    public static ManifestException Discovery(string message, string? restateCode, Exception? inner = null) => new(message, 500, restateCode, inner);
}

/// <summary>
/// The endpoint manifest's registration rules: protocol mode and versions (discovery failures), then
/// names, handler kinds, retention and visibility options, payload content types and retry policies
/// (schema failures).
/// </summary>
public static partial class ManifestValidator
{
    [GeneratedRegex("^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$")]
    private static partial Regex ServiceName();

    [GeneratedRegex("^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9_]*$")]
    private static partial Regex HandlerName();

    /// <summary>Both checks, in order.</summary>
    public static void Validate(EndpointManifest manifest, Uri? uri = null)
    {
        ValidateEndpoint(manifest, uri);
        ValidateServices(manifest);
    }

    /// <summary>What makes an endpoint unusable whatever its services: protocol mode and version range.</summary>
    public static void ValidateEndpoint(EndpointManifest manifest, Uri? uri = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var at = uri is null ? "The endpoint" : $"The endpoint at {uri}";
        if (manifest.ProtocolMode is null)
        {
            throw ManifestException.Discovery($"{at} sent a manifest without protocolMode (BIDI_STREAM or REQUEST_RESPONSE); is its SDK compatible with Restate 1.7?", "META0013");
        }

        if (manifest.MinProtocolVersion < 1 || manifest.MaxProtocolVersion < 1 || manifest.MinProtocolVersion > manifest.MaxProtocolVersion)
        {
            throw ManifestException.Discovery(
                $"{at} sent an invalid service protocol range: minProtocolVersion {manifest.MinProtocolVersion}, maxProtocolVersion {manifest.MaxProtocolVersion} (both at least 1, min not above max).",
                "META0013");
        }

        if (manifest.MinProtocolVersion > ServiceProtocolVersions.MaxSupported || manifest.MaxProtocolVersion < ServiceProtocolVersions.MinSupported)
        {
            var advice = manifest.MaxProtocolVersion < ServiceProtocolVersions.MinSupported
                ? "its SDK is too old: upgrade it to a release that supports Restate 1.7 and register again"
                : "its SDK is newer than this server supports: use an SDK release compatible with Restate 1.7";
            throw ManifestException.Discovery(
                $"{at} speaks service protocol versions {manifest.MinProtocolVersion} to {manifest.MaxProtocolVersion}, this server {ServiceProtocolVersions.MinSupported} to {ServiceProtocolVersions.MaxSupported}: {advice}.",
                "META0012");
        }
    }

    /// <summary>The schema rules for the services of a manifest; throws a 400 <see cref="ManifestException"/>.</summary>
    public static void ValidateServices(EndpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var serviceNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in manifest.Services)
        {
            if (string.IsNullOrEmpty(service.Name) || !ServiceName().IsMatch(service.Name))
            {
                throw new ManifestException($"Invalid service name '{service.Name}': it must start with a letter (or _ and a letter or digit) and contain only letters, digits, '.', '_' and '-'.");
            }

            if (service.Name.StartsWith("restate", StringComparison.OrdinalIgnoreCase) || service.Name.Equals("openapi", StringComparison.OrdinalIgnoreCase))
            {
                throw new ManifestException($"The service name '{service.Name}' is reserved (names starting with 'restate', and 'openapi'); rename the service.", 400, "META0005");
            }

            if (!serviceNames.Add(service.Name))
            {
                throw new ManifestException($"The manifest defines service '{service.Name}' twice.");
            }

            if (service.RetryPolicyProblem() is { } serviceRetry)
            {
                throw new ManifestException($"Invalid retry policy of service '{service.Name}': {serviceRetry}");
            }

            var servicePublic = service.IngressPrivate != true;
            var handlerNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var handler in service.Handlers)
            {
                var name = $"{service.Name}/{handler.Name}";
                if (string.IsNullOrEmpty(handler.Name) || !HandlerName().IsMatch(handler.Name))
                {
                    throw new ManifestException($"Invalid handler name '{name}': it must start with a letter (or _ and a letter or digit) and contain only letters, digits and '_'.");
                }

                if (!handlerNames.Add(handler.Name))
                {
                    throw new ManifestException($"Service '{service.Name}' defines handler '{handler.Name}' twice.");
                }

                if (handler.RetryPolicyProblem() is { } handlerRetry)
                {
                    throw new ManifestException($"Invalid retry policy of handler '{name}': {handlerRetry}");
                }

                var kind = KindOf(service.Ty, handler);
                if (handler.WorkflowCompletionRetention is not null && kind != HandlerType.Workflow)
                {
                    throw new ManifestException($"Handler '{name}' sets workflowCompletionRetention, but only a workflow's WORKFLOW handler may.");
                }

                if (handler.IdempotencyRetention is not null && kind == HandlerType.Workflow)
                {
                    throw new ManifestException($"Handler '{name}' sets idempotencyRetention, but a workflow's WORKFLOW handler uses workflowCompletionRetention instead.");
                }

                if (!servicePublic && handler.IngressPrivate == false)
                {
                    throw new ManifestException($"Service '{service.Name}' is private, but its handler '{handler.Name}' is explicitly public; make the service public and hide the handlers that should not be reachable.");
                }

                if (handler.Input?.ContentType is { } inputType && InputContentTypeProblem(inputType) is { } inputProblem)
                {
                    throw new ManifestException($"The input content type '{inputType}' of handler '{name}' is not valid: {inputProblem}.");
                }

                if (handler.Output?.ContentType is { } outputType && (outputType.Length == 0 || outputType.Any(c => c < 0x20 && c != '\t' || c == 0x7f)))
                {
                    throw new ManifestException($"The output content type '{outputType}' of handler '{name}' is not a valid header value.");
                }
            }

            if (service.Ty == ServiceType.Workflow && service.Handlers.Count(h => h.Ty == HandlerType.Workflow) != 1)
            {
                throw new ManifestException($"Workflow '{service.Name}' must have exactly one WORKFLOW handler.");
            }
        }
    }

    /// <summary>Why an input content type (an Accept-style pattern: <c>*/*</c>, <c>type/*</c> or <c>type/subtype</c>) is unusable, or null.</summary>
    public static string? InputContentTypeProblem(string contentType)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        var slash = contentType.Trim().IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return "it must contain one /";
        }

        var trimmed = contentType.Trim();
        return trimmed[..slash] == "*" && trimmed[(slash + 1)..] != "*" ? "the wildcard form */subtype is not supported" : null;
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
