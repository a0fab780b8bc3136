using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Admin;

/// <summary>The admin API (Restate 1.7 paths and JSON shapes), served unversioned and under /v2, /v3, /v4.</summary>
public static class AdminEndpoints
{
    public sealed record RegisterRequest(string? Uri, Dictionary<string, string>? Additional_headers, bool? Use_http_11, bool? Force, bool? Dry_run);

    public static void Map(IEndpointRouteBuilder app, string host, SchemaRegistry schema, DiscoveryClient discovery, IRuntimeApi runtime)
    {
        // API v1 is gone in Restate 1.7: answer it like they do, with 400.
        app.Map("/v1/{**rest}", () => Error(400, "Admin API version 1 is not supported; use /v2 to /v4 or no prefix.")).RequireHost(host);
        foreach (var prefix in new[] { "", "/v2", "/v3", "/v4" })
        {
            var group = app.MapGroup(prefix).RequireHost(host);
            group.MapGet("/health", () => runtime.Failure is { } failure ? Error(503, failure.Message) : Results.Ok());
            group.MapGet("/version", () => Results.Json(new JsonObject
            {
                ["version"] = "keel-0.1.0",
                ["min_admin_api_version"] = 2,
                ["max_admin_api_version"] = 4,
                ["ingress_endpoint"] = null,
                ["features"] = new JsonObject(),
            }));
            group.MapPost("/deployments", (RegisterRequest body, CancellationToken ct) => RegisterAsync(body, schema, discovery, ct));
            group.MapGet("/deployments", () => Results.Json(new JsonObject { ["deployments"] = new JsonArray([.. schema.Deployments.Select(d => (JsonNode)AdminJson.Deployment(d, schema))]) }));
            group.MapGet("/deployments/{id}", (string id) => schema.TryGetDeployment(id, out var d)
                ? Results.Json(AdminJson.Deployment(d, schema))
                : Error(404, $"Deployment {id} not found"));
            group.MapGet("/services", () => Results.Json(new JsonObject { ["services"] = new JsonArray([.. schema.Services.Select(s => (JsonNode)AdminJson.Service(s))]) }));
            group.MapGet("/services/{name}", (string name) => schema.TryGetService(name, out var s) ? Results.Json(AdminJson.Service(s)) : Error(404, $"Service {name} not found"));
            InvocationEndpoints.Map(group, runtime);
            StateEndpoints.Map(group, schema, runtime);
        }
    }

    private static async Task<IResult> RegisterAsync(RegisterRequest body, SchemaRegistry schema, DiscoveryClient discovery, CancellationToken ct)
    {
        if (body.Uri is null || !Uri.TryCreate(body.Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return Error(400, "Field 'uri' must be an absolute http(s) URI (Lambda deployments are not supported).");
        }

        var version = body.Use_http_11 == true ? DeploymentHttpVersion.Http11 : DeploymentHttpVersion.Http2PriorKnowledge;
        var headers = body.Additional_headers ?? [];
        EndpointManifest manifest;
        string? sdk;
        List<ServiceInfo> services;
        try
        {
            (manifest, sdk) = await discovery.DiscoverAsync(uri, version, headers, ct);
            ManifestValidator.Validate(manifest);
            services = SchemaRegistry.ServicesOf(manifest);
        }
        catch (ManifestException e)
        {
            return Error(400, e.Message);
        }

        var existing = schema.FindByUri(uri);
        var deployment = new DeploymentInfo(existing?.Id ?? NewDeploymentId(), uri, manifest.ProtocolMode!.Value, version,
            manifest.MinProtocolVersion, manifest.MaxProtocolVersion, headers, sdk, existing?.CreatedAt ?? DateTimeOffset.UtcNow);
        if (body.Dry_run == true)
        {
            return Results.Json(AdminJson.Registered(deployment, services), statusCode: 200);
        }

        var changed = schema.Register(deployment, services);
        var registered = services.Select(s => schema.TryGetService(s.Name, out var stored) ? stored : s).ToList();
        return Results.Json(AdminJson.Registered(deployment, registered), statusCode: changed && existing is null ? 201 : 200);
    }

    private static string NewDeploymentId()
    {
        var id = InvocationId.New();
        return "dp_" + Base62.Encode(id.Uuid, 22);
    }

    public static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["message"] = message, ["restate_code"] = null }, statusCode: status);
}
