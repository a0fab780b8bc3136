using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Server.Contracts;
using Keel.Server.Hosting;
using Keel.Server.Ingress;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Admin;

/// <summary>The admin API (Restate 1.7 paths, status codes and JSON shapes), served unversioned and under /v2, /v3, /v4.</summary>
public static class AdminEndpoints
{
    /// <summary>Keel's own version.</summary>
    public const string KeelVersion = "0.1.0";

    /// <summary>
    /// What <c>/version</c> reports: the Restate release whose admin API Keel serves, with Keel's version
    /// as semver build metadata. Clients that compare versions (the restate CLI picks its modern code
    /// paths from 1.5 on) see 1.7.0; build metadata does not count in semver precedence.
    /// </summary>
    public const string ReportedVersion = "1.7.0+keel." + KeelVersion;

    /// <summary>Maps the admin API of the server started with <paramref name="settings"/> (its admin port, ingress address and defaults).</summary>
    public static void Map(IEndpointRouteBuilder app, ServerSettings settings, SchemaRegistry schema, IDiscoveryClient discovery, IRuntimeApi runtime,
        Func<JsonObject?>? healthDetails = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Map(app, schema, discovery, runtime, AdminOptions.From(settings) with { HealthDetails = healthDetails });
    }

    public static void Map(IEndpointRouteBuilder app, SchemaRegistry schema, IDiscoveryClient discovery, IRuntimeApi runtime, AdminOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);

        // API v1 is gone in Restate 1.7: answer it like they do, with 400.
        app.Map("/v1/{**rest}", () => Error(400, "Admin API version 1 is not supported; use /v2 to /v4 or no prefix."));
        foreach (var (prefix, apiVersion) in new[] { ("", 0), ("/v2", 2), ("/v3", 3), ("/v4", 4) })
        {
            var group = app.MapGroup(prefix);
            group.MapGet("/health", () => runtime.Failure is { } failure ? Error(503, failure.Message)
                : options.HealthDetails?.Invoke() is { } details ? Json(details)
                : Results.Ok());
            group.MapGet("/version", () => Json(new JsonObject
            {
                ["version"] = ReportedVersion,
                ["min_admin_api_version"] = 2,
                ["max_admin_api_version"] = 4,
                ["ingress_endpoint"] = options.IngressUrl,
                ["features"] = new JsonObject(),
            }));

            group.MapPost("/deployments", (HttpContext http, CancellationToken ct) => RegisterAsync(http, apiVersion, schema, discovery, options, ct));
            group.MapGet("/deployments", () => Json(new JsonObject
            {
                ["deployments"] = new JsonArray([.. schema.Deployments.Select(d => (JsonNode)AdminJson.Deployment(d, schema.ServicesOf(d.Id)))]),
            }));
            group.MapGet("/deployments/{id}", (string id) => schema.GetDeployment(id) is { } found
                ? Json(AdminJson.DetailedDeployment(found.Deployment, found.Services, options))
                : DeploymentNotFound(id));
            group.MapDelete("/deployments/{id}", (string id, bool? force) => DeleteDeployment(schema, id, force));

            group.MapGet("/services", () => Json(new JsonObject
            {
                ["services"] = new JsonArray([.. schema.Services.Select(s => (JsonNode)ServiceJson(schema, s, options))]),
            }));
            group.MapGet("/services/{name}", (string name) => schema.TryGetService(name, out var s) ? Json(ServiceJson(schema, s, options)) : ServiceNotFound(name));
            group.MapPatch("/services/{name}", (string name, HttpContext http) => ModifyServiceAsync(http, name, schema, options));
            group.MapGet("/services/{name}/handlers", (string name) => schema.TryGetService(name, out var s)
                ? Json(new JsonObject { ["handlers"] = ServiceJson(schema, s, options)["handlers"]!.DeepClone() })
                : ServiceNotFound(name));
            group.MapGet("/services/{name}/handlers/{handler}", (string name, string handler) => !schema.TryGetService(name, out var s) ? ServiceNotFound(name)
                : s.Handlers.TryGetValue(handler, out var h) ? Json(AdminJson.Handler(h, s, RequestResponse(schema, s)))
                : Error(404, $"The requested handler '{handler}' on service '{name}' does not exist"));

            InvocationEndpoints.Map(group, runtime);
            DeadlockEndpoints.Map(group, runtime);
            StateEndpoints.Map(group, schema, runtime);
        }
    }

    private static JsonObject ServiceJson(SchemaRegistry schema, ServiceInfo service, AdminOptions options) =>
        AdminJson.Service(service, schema.TryGetDeployment(service.DeploymentId, out var d) ? d : null, options);

    private static bool RequestResponse(SchemaRegistry schema, ServiceInfo service) =>
        schema.TryGetDeployment(service.DeploymentId, out var d) && d.Mode == Protocol.Manifest.ProtocolMode.RequestResponse;

    private static IResult ServiceNotFound(string name) => Error(404, $"The requested service '{name}' does not exist");

    private static IResult DeploymentNotFound(string id) => DeploymentIds.TryParse(id, out _)
        ? Error(404, $"The requested deployment '{id}' does not exist")
        : Error(400, $"'{id}' is not a deployment id (dp_1 followed by 22 letters and digits).");

    private static IResult DeleteDeployment(SchemaRegistry schema, string id, bool? force)
    {
        var known = schema.GetDeployment(id) is not null;
        if (!known && !DeploymentIds.TryParse(id, out _))
        {
            return DeploymentNotFound(id);
        }

        if (force != true)
        {
            return Error(501, "Only forced removal is supported (DELETE /deployments/{id}?force=true): it removes the deployment at once, and invocations still pinned to it cannot continue.");
        }

        return schema.RemoveDeployment(id) ? Results.StatusCode(202) : DeploymentNotFound(id);
    }

    private static async Task<IResult> RegisterAsync(HttpContext http, int apiVersion, SchemaRegistry schema, IDiscoveryClient discovery, AdminOptions options, CancellationToken ct)
    {
        var (body, bodyError) = await ReadObjectAsync(http);
        if (bodyError is not null)
        {
            return Error(400, bodyError);
        }

        if (body!["arn"] is not null)
        {
            return Error(400, "Lambda deployments (arn) are not supported by Keel; register an HTTP endpoint with 'uri'.");
        }

        if (body["auth"] is not null)
        {
            return Error(400, "Deployment authentication ('auth') is not supported by Keel; pass credentials in 'additional_headers'.");
        }

        if (!TryString(body, "uri", out var uriText, out var error) || !TryBool(body, "use_http_11", out var useHttp11, ref error)
            || !TryBool(body, "force", out var forceField, ref error) || !TryBool(body, "breaking", out var breaking, ref error)
            || !TryBool(body, "dry_run", out var dryRun, ref error) || !TryStringMap(body, "additional_headers", out var headers, ref error)
            || !TryStringMap(body, "metadata", out var metadata, ref error))
        {
            return Error(400, error!);
        }

        if (uriText is null || !Uri.TryCreate(uriText, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            return Error(400, $"The request field 'uri' is invalid: it must be an absolute http:// or https:// URI of the service endpoint, got {(uriText is null ? "nothing" : $"'{uriText}'")}.");
        }

        if (headers?.Keys.FirstOrDefault(name => !IsHeaderName(name)) is { } badHeader)
        {
            return Error(400, $"The request field 'additional_headers' is invalid: '{badHeader}' is not a valid header name.");
        }

        if (headers?.FirstOrDefault(h => !IsHeaderValue(h.Value)) is { Key: { } badValue })
        {
            // HTTP carries header values as visible ASCII, spaces and tabs: anything else could not be sent to the
            // endpoint at all (discovery would fail, misleadingly, as if the endpoint were at fault).
            return Error(400, $"The request field 'additional_headers' is invalid: the value of '{badValue}' must be printable ASCII (no line breaks or other control characters, no non-ASCII text).");
        }

        if (headers?.Keys.FirstOrDefault(Invoker.InvokerHeaders.IsReserved) is { } reserved)
        {
            return Error(400, $"The request field 'additional_headers' is invalid: '{reserved}' is set by the server itself on every request to the deployment (request identity, invocation, framing) and cannot be replaced.");
        }

        // Admin API v2 forced by default; later versions (and no prefix) do not.
        var force = forceField ?? apiVersion == 2;
        var existing = schema.FindByAddress(uri);
        Registration registration;
        if (existing is not null && !force)
        {
            // Registered already and not forced: Restate keeps it as it is, without asking the endpoint.
            registration = new Registration(RegistrationResult.Unchanged, existing, schema.ServicesOf(existing.Id));
        }
        else
        {
            try
            {
                var version = useHttp11 == true ? DeploymentHttpVersion.Http11 : DeploymentHttpVersion.Http2PriorKnowledge;
                var discovered = await discovery.DiscoverAsync(uri, version, headers ?? [], ct);
                var manifest = discovered.Manifest;
                ManifestValidator.Validate(manifest, uri);
                var now = DateTimeOffset.UtcNow;
                var proposed = new DeploymentInfo(DeploymentIds.New(now), uri, manifest.ProtocolMode!.Value, discovered.HttpVersion,
                    manifest.MinProtocolVersion, manifest.MaxProtocolVersion, headers ?? [], discovered.SdkVersion, now, metadata is { Count: > 0 } ? metadata : null);
                registration = schema.Register(proposed, SchemaRegistry.ServicesFromManifest(manifest), overwrite: force, allowBreaking: force || breaking == true, dryRun: dryRun == true);
            }
            catch (ManifestException e)
            {
                return Error(e.Status, e.Message, e.RestateCode);
            }
        }

        var status = (registration.Result, apiVersion) switch
        {
            (RegistrationResult.Created, _) => 201,
            (RegistrationResult.Unchanged, 2) => 409,
            (RegistrationResult.Overwritten, 2) => 201,
            _ => 200,
        };
        if (status == 409)
        {
            return Error(409, $"Conflict: deployment {registration.Deployment.Id} already exists");
        }

        http.Response.Headers.Location = $"deployments/{registration.Deployment.Id}";
        return Json(AdminJson.Registered(registration.Deployment, registration.Services, options), statusCode: status);
    }

    private static async Task<IResult> ModifyServiceAsync(HttpContext http, string name, SchemaRegistry schema, AdminOptions options)
    {
        var (body, bodyError) = await ReadObjectAsync(http, emptyIsObject: true);
        if (bodyError is not null)
        {
            return Error(400, bodyError);
        }

        string? error = null;
        if (!TryBool(body!, "public", out var isPublic, ref error)
            || !TryDuration(body!, "idempotency_retention", out var idempotency, ref error)
            || !TryDuration(body!, "workflow_completion_retention", out var workflow, ref error)
            || !TryDuration(body!, "journal_retention", out var journal, ref error)
            || !TryDuration(body!, "inactivity_timeout", out var inactivity, ref error)
            || !TryDuration(body!, "abort_timeout", out var abort, ref error)
            || !TryDeadlockPolicy(body!, out var deadlock, ref error))
        {
            return Error(400, error!);
        }

        var changes = new ServiceChanges(isPublic, idempotency, workflow, journal, inactivity, abort, deadlock);
        return schema.Modify(name, changes, out var updated) switch
        {
            ModifyOutcome.NotFound => ServiceNotFound(name),
            ModifyOutcome.NotAWorkflow => Error(400, $"modifying retention time for service type {updated.Type} is unsupported: workflow_completion_retention applies to workflows only; '{name}' is a {updated.Type}."),
            _ => Json(ServiceJson(schema, updated, options)),
        };
    }

    private static async Task<(JsonObject? Body, string? Error)> ReadObjectAsync(HttpContext http, bool emptyIsObject = false)
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return emptyIsObject ? (new JsonObject(), null) : (null, "The request has no body; send a JSON object.");
        }

        try
        {
            return JsonNode.Parse(text) is JsonObject body ? (body, null) : (null, "The request body must be a JSON object.");
        }
        catch (JsonException e)
        {
            return (null, $"The request body is not valid JSON: {e.Message}");
        }
    }

    private static bool TryString(JsonObject body, string field, out string? value, out string? error)
    {
        (value, error) = (null, null);
        switch (body[field])
        {
            case null:
                return true;
            case JsonValue v when v.TryGetValue<string>(out var s):
                value = s;
                return true;
            default:
                error = $"The request field '{field}' is invalid: expected a string.";
                return false;
        }
    }

    private static bool TryBool(JsonObject body, string field, out bool? value, ref string? error)
    {
        value = null;
        switch (body[field])
        {
            case null:
                return true;
            case JsonValue v when v.TryGetValue<bool>(out var b):
                value = b;
                return true;
            default:
                error = $"The request field '{field}' is invalid: expected true, false or null.";
                return false;
        }
    }

    /// <summary><c>deadlock</c> (Keel's own): <c>"report"</c> or <c>"fail"</c>, see docs/server.md "Deadlocks".</summary>
    private static bool TryDeadlockPolicy(JsonObject body, out DeadlockPolicy? value, ref string? error)
    {
        value = null;
        switch (body["deadlock"])
        {
            case null:
                return true;
            case JsonValue v when v.TryGetValue<string>(out var text) && text is "report" or "fail":
                value = text == "fail" ? DeadlockPolicy.Fail : DeadlockPolicy.Report;
                return true;
            default:
                error = "The request field 'deadlock' is invalid: expected \"report\", \"fail\" or null.";
                return false;
        }
    }

    private static bool TryDuration(JsonObject body, string field, out TimeSpan? value, ref string? error)
    {
        value = null;
        switch (body[field])
        {
            case null:
                return true;
            case JsonValue v when v.TryGetValue<string>(out var text):
                if (Durations.TryParse(text, out var duration, out var problem))
                {
                    value = duration;
                    return true;
                }

                error = $"The request field '{field}' is invalid: {problem}";
                return false;
            default:
                error = $"The request field '{field}' is invalid: expected a duration string such as \"1d\", \"10m\" or \"PT10S\", or null.";
                return false;
        }
    }

    private static bool TryStringMap(JsonObject body, string field, out Dictionary<string, string>? value, ref string? error)
    {
        value = null;
        switch (body[field])
        {
            case null:
                return true;
            case JsonObject map:
                value = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var (key, node) in map)
                {
                    if (node is not JsonValue v || !v.TryGetValue<string>(out var s))
                    {
                        error = $"The request field '{field}' is invalid: the value of '{key}' must be a string.";
                        return false;
                    }

                    value[key] = s;
                }

                return true;
            default:
                error = $"The request field '{field}' is invalid: expected an object of strings.";
                return false;
        }
    }

    private static bool IsHeaderName(string name) =>
        name.Length > 0 && name.All(c => c < 0x7f && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)));

    private static bool IsHeaderValue(string value) => value.All(c => c is '\t' or (>= ' ' and < (char)0x7f));

    // Non-ASCII text (service names, messages) as is, the way the ingress writes its errors too.
    private static readonly JsonSerializerOptions ReadableJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static IResult Json(JsonNode body, int statusCode = 200) => Results.Json(body, ReadableJson, statusCode: statusCode);

    /// <summary>An error as Restate's admin API answers it: <c>{"message", "restate_code"}</c>.</summary>
    public static IResult Error(int status, string message, string? restateCode = null) =>
        Json(new JsonObject { ["message"] = message, ["restate_code"] = restateCode }, statusCode: status);
}
