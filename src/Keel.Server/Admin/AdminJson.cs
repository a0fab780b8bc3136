using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Admin;

/// <summary>The admin API's snake_case JSON shapes.</summary>
internal static class AdminJson
{
    public static JsonObject Registered(DeploymentInfo deployment, IEnumerable<ServiceInfo> services) => new()
    {
        ["id"] = deployment.Id,
        ["services"] = new JsonArray([.. services.Select(s => (JsonNode)Service(s with { DeploymentId = deployment.Id }))]),
        ["min_protocol_version"] = deployment.MinProtocolVersion,
        ["max_protocol_version"] = deployment.MaxProtocolVersion,
        ["sdk_version"] = deployment.SdkVersion,
    };

    public static JsonObject Deployment(DeploymentInfo d, SchemaRegistry schema) => new()
    {
        ["id"] = d.Id,
        ["uri"] = d.Uri.ToString(),
        ["protocol_type"] = d.Mode == ProtocolMode.BidiStream ? "BidiStream" : "RequestResponse",
        ["http_version"] = d.HttpVersion == DeploymentHttpVersion.Http11 ? "HTTP/1.1" : "HTTP/2.0",
        ["created_at"] = d.CreatedAt.ToString("O"),
        ["min_protocol_version"] = d.MinProtocolVersion,
        ["max_protocol_version"] = d.MaxProtocolVersion,
        ["sdk_version"] = d.SdkVersion,
        ["additional_headers"] = new JsonObject(d.AdditionalHeaders.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
        ["services"] = new JsonArray([.. schema.Services.Where(s => s.DeploymentId == d.Id).Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["revision"] = s.Revision })]),
    };

    public static JsonObject Service(ServiceInfo s) => new()
    {
        ["name"] = s.Name,
        ["ty"] = s.Type switch { ServiceType.VirtualObject => "VirtualObject", ServiceType.Workflow => "Workflow", _ => "Service" },
        ["handlers"] = new JsonArray([.. s.Handlers.Values.OrderBy(h => h.Name, StringComparer.Ordinal).Select(h => (JsonNode)new JsonObject
        {
            ["name"] = h.Name,
            ["ty"] = s.Type == ServiceType.Service ? null : h.Kind.ToString(),
            ["public"] = h.Public,
            ["input_description"] = h.Input?.ContentType ?? "any",
            ["output_description"] = h.Output?.ContentType ?? "application/json",
        })]),
        ["deployment_id"] = s.DeploymentId,
        ["revision"] = s.Revision,
        ["public"] = s.Public,
        ["idempotency_retention"] = "1day",
        ["workflow_completion_retention"] = s.Type == ServiceType.Workflow ? "1day" : null,
        ["inactivity_timeout"] = "1m",
        ["abort_timeout"] = "10m",
        ["enable_lazy_state"] = s.EnableLazyState,
    };
}
