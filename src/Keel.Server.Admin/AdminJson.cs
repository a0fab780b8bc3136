using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Keel.Server.Ingress;
using Keel.Server.Partitions;

namespace Keel.Server.Admin;

/// <summary>
/// The admin API's JSON shapes (Restate 1.7's ServiceMetadata, HandlerMetadata and deployment
/// responses): snake_case, durations as compact friendly strings, optional members left out when
/// they have no value.
/// </summary>
internal static class AdminJson
{
    /// <summary>Restate's code for settings a request-response deployment treats differently.</summary>
    private const string RequestResponseInfoCode = "RT0021";

    public static JsonObject Registered(DeploymentInfo deployment, IEnumerable<ServiceInfo> services, AdminOptions options)
    {
        var json = new JsonObject
        {
            ["id"] = deployment.Id,
            ["services"] = new JsonArray([.. services.Select(s => (JsonNode)Service(s, deployment, options))]),
            ["min_protocol_version"] = deployment.MinProtocolVersion,
            ["max_protocol_version"] = deployment.MaxProtocolVersion,
        };
        if (deployment.SdkVersion is { } sdk)
        {
            json["sdk_version"] = sdk;
        }

        return json;
    }

    /// <summary>A deployment as <c>GET /deployments</c> lists it: its own services as name and revision.</summary>
    public static JsonObject Deployment(DeploymentInfo d, IEnumerable<ServiceInfo> own) =>
        DeploymentWith(d, new JsonArray([.. own.Select(s => (JsonNode)new JsonObject { ["name"] = s.Name, ["revision"] = s.Revision })]));

    /// <summary>A deployment as <c>GET /deployments/{id}</c> shows it: its own services in full.</summary>
    public static JsonObject DetailedDeployment(DeploymentInfo d, IEnumerable<ServiceInfo> own, AdminOptions options) =>
        DeploymentWith(d, new JsonArray([.. own.Select(s => (JsonNode)Service(s, d, options))]));

    private static JsonObject DeploymentWith(DeploymentInfo d, JsonArray services)
    {
        var json = new JsonObject
        {
            ["id"] = d.Id,
            ["uri"] = d.Uri.ToString(),
            ["protocol_type"] = d.Mode == ProtocolMode.BidiStream ? "BidiStream" : "RequestResponse",
            ["http_version"] = d.HttpVersion == DeploymentHttpVersion.Http11 ? "HTTP/1.1" : "HTTP/2.0",
        };
        if (d.AdditionalHeaders.Count > 0)
        {
            json["additional_headers"] = StringMap(d.AdditionalHeaders);
        }

        if (d.Metadata is { Count: > 0 } metadata)
        {
            json["metadata"] = StringMap(metadata);
        }

        json["created_at"] = Timestamp(d.CreatedAt);
        json["min_protocol_version"] = d.MinProtocolVersion;
        json["max_protocol_version"] = d.MaxProtocolVersion;
        if (d.SdkVersion is { } sdk)
        {
            json["sdk_version"] = sdk;
        }

        json["services"] = services;
        return json;
    }

    /// <summary>UTC with a <c>Z</c> and nine fraction digits (millisecond precision), as Restate writes it.</summary>
    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture) + "000000Z";

    /// <summary>
    /// A service: each setting is the operator's (PATCH), else the manifest's, else the server default.
    /// <paramref name="deployment"/> is the deployment serving this revision (its protocol mode matters).
    /// </summary>
    public static JsonObject Service(ServiceInfo s, DeploymentInfo? deployment, AdminOptions options)
    {
        var requestResponse = deployment?.Mode == ProtocolMode.RequestResponse;
        var defaults = options.Runtime;
        var json = new JsonObject
        {
            ["name"] = s.Name,
            ["ty"] = s.Type switch { ServiceType.VirtualObject => "VirtualObject", ServiceType.Workflow => "Workflow", _ => "Service" },
            ["handlers"] = new JsonArray([.. s.Handlers.Values.Select(h => (JsonNode)Handler(h, s, requestResponse))]),
        };
        if (s.Documentation is { } documentation)
        {
            json["documentation"] = documentation;
        }

        if (s.Metadata is { Count: > 0 } metadata)
        {
            json["metadata"] = StringMap(metadata);
        }

        json["deployment_id"] = s.DeploymentId;
        json["revision"] = s.Revision;
        json["public"] = s.Public;
        json["idempotency_retention"] = Durations.Format(s.IdempotencyRetention ?? defaults.CompletionRetention);
        if (s.Type == ServiceType.Workflow)
        {
            json["workflow_completion_retention"] = Durations.Format(s.WorkflowCompletionRetention ?? defaults.CompletionRetention);
        }

        if ((s.JournalRetention ?? (defaults.DefaultJournalRetention > TimeSpan.Zero ? defaults.DefaultJournalRetention : null)) is { } journal)
        {
            json["journal_retention"] = Durations.Format(journal);
        }

        // A request-response deployment cannot be asked to suspend, so by default no inactivity
        // timeout applies to it (as Restate reports: 0s); its attempts are bounded by the abort timeout.
        json["inactivity_timeout"] = Durations.Format(s.InactivityTimeout ?? (requestResponse ? TimeSpan.Zero : defaults.DefaultInactivityTimeout));
        json["abort_timeout"] = Durations.Format(s.AbortTimeout ?? defaults.DefaultAbortTimeout);
        json["enable_lazy_state"] = s.EnableLazyState;

        var policy = EffectiveRetryPolicy.Resolve(null, s, defaults);
        json["retry_policy"] = new JsonObject
        {
            ["initial_interval"] = Durations.Format(policy.InitialInterval),
            ["exponentiation_factor"] = Factor(policy.Factor),
            ["max_attempts"] = policy.MaxAttempts,
            ["max_interval"] = policy.MaxInterval is { } max ? Durations.Format(max) : null,
            ["on_max_attempts"] = policy.OnMax.ToString(),
        };
        if (requestResponse && s.InactivityTimeout is { } inactivity)
        {
            json["info"] = RequestResponseInfo(inactivity, "service");
        }

        // Keel's own, after Restate's members: what a deadlock involving the service does (docs/server.md "Deadlocks").
        json["deadlock"] = s.Deadlock == DeadlockPolicy.Fail ? "fail" : "report";
        return json;
    }

    public static JsonObject Handler(HandlerInfo h, ServiceInfo s, bool requestResponse)
    {
        var json = new JsonObject { ["name"] = h.Name };
        if (s.Type != ServiceType.Service)
        {
            json["ty"] = h.Kind.ToString();
        }

        if (h.Documentation is { } documentation)
        {
            json["documentation"] = documentation;
        }

        if (h.Metadata is { Count: > 0 } metadata)
        {
            json["metadata"] = StringMap(metadata);
        }

        AddDuration(json, "idempotency_retention", h.IdempotencyRetention);
        AddDuration(json, "journal_retention", h.JournalRetention);
        AddDuration(json, "inactivity_timeout", h.InactivityTimeout);
        AddDuration(json, "abort_timeout", h.AbortTimeout);
        if (h.EnableLazyState is { } lazy)
        {
            json["enable_lazy_state"] = lazy;
        }

        json["public"] = s.Public && h.Public;
        json["input_description"] = InputDescription(h.Input);
        json["output_description"] = OutputDescription(h.Output);
        if (h.Input is { ContentType: not null, JsonSchema: { } inputSchema })
        {
            json["input_json_schema"] = JsonSerializer.SerializeToNode(inputSchema);
        }

        if (h.Output is { ContentType: not null, JsonSchema: { } outputSchema })
        {
            json["output_json_schema"] = JsonSerializer.SerializeToNode(outputSchema);
        }

        var retry = new JsonObject();
        var r = h.RetryPolicy;
        AddDuration(retry, "initial_interval", r?.InitialInterval);
        if (r?.Factor is { } factor)
        {
            retry["exponentiation_factor"] = Factor(factor);
        }

        retry["max_attempts"] = r?.MaxAttempts;
        AddDuration(retry, "max_interval", r?.MaxInterval);
        if (r?.OnMaxAttempts is { } onMax)
        {
            retry["on_max_attempts"] = onMax.ToString();
        }

        json["retry_policy"] = retry;
        if (requestResponse && h.InactivityTimeout is { } inactivity)
        {
            json["info"] = RequestResponseInfo(inactivity, "handler");
        }

        return json;
    }

    /// <summary>
    /// What a request may carry, in Restate's words: <c>none</c> (no body), a content type pattern, or
    /// <c>JSON type</c>/<c>JSON 'title'</c> from a JSON schema; a handler without an input
    /// declaration takes anything (<c>*/*</c>).
    /// </summary>
    public static string InputDescription(InputPayload? input)
    {
        if (input is null)
        {
            return "*/*";
        }

        var rules = new List<string>(2);
        if (input.Required != true)
        {
            rules.Add("none");
        }

        if (input.ContentType is { } contentType)
        {
            rules.Add(SchemaDescription(input.JsonSchema) ?? contentType.Trim());
        }

        return rules.Count switch
        {
            0 => "<invalid rules>",
            1 => rules[0],
            _ => rules[1],
        };
    }

    /// <summary>What a handler answers with: a content type (<c>optional</c> when set even on empty output), a JSON schema's type or title, or <c>none</c>.</summary>
    public static string OutputDescription(OutputPayload? output)
    {
        if (output is null)
        {
            return "application/json";
        }

        if (output.ContentType is not { } contentType)
        {
            return "none";
        }

        return SchemaDescription(output.JsonSchema) ?? (output.SetContentTypeIfEmpty == true ? "optional " : string.Empty) + contentType;
    }

    private static string? SchemaDescription(JsonElement? schema)
    {
        if (schema is not { ValueKind: JsonValueKind.Object } s)
        {
            return null;
        }

        if (s.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String)
        {
            return $"JSON '{title.GetString()}'";
        }

        return s.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? $"JSON {type.GetString()}" : null;
    }

    private static JsonArray RequestResponseInfo(TimeSpan inactivity, string what) =>
    [
        new JsonObject
        {
            ["code"] = RequestResponseInfoCode,
            ["message"] = $"The {what} is served in request-response mode, so an idle invocation cannot be asked to suspend: "
                + $"the inactivity timeout {Durations.Format(inactivity)} only adds to the abort timeout to bound how long an attempt may take.",
        },
    ];

    private static void AddDuration(JsonObject json, string name, TimeSpan? value)
    {
        if (value is { } v)
        {
            json[name] = Durations.Format(v);
        }
    }

    /// <summary>A factor as Restate writes its 32-bit float: shortest form, always with a decimal point (<c>2.0</c>, <c>1.5</c>).</summary>
    private static JsonNode Factor(double factor)
    {
        var text = ((float)factor).ToString("R", CultureInfo.InvariantCulture);
        if (!text.Contains('.', StringComparison.Ordinal) && !text.Contains('E', StringComparison.Ordinal))
        {
            text += ".0";
        }

        return JsonNode.Parse(text)!;
    }

    private static JsonObject StringMap(IEnumerable<KeyValuePair<string, string>> map) =>
        new(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
}
