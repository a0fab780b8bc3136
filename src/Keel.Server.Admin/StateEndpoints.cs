using System.Text.Json;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Admin;

/// <summary>
/// <c>POST /services/{service}/state</c>: replaces the whole state of one object (or workflow) key, as
/// Restate's CLI does for <c>state edit</c> and <c>state clear</c>. Values are byte arrays (JSON arrays
/// of numbers); a given <c>version</c> must match the current state's (see the CLI's version hash).
/// </summary>
public static class StateEndpoints
{
    public static void Map(RouteGroupBuilder group, ISchemaView schema, IRuntimeApi runtime)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.MapPost("/services/{service}/state", (string service, HttpRequest request, CancellationToken ct) => ReplaceAsync(service, request, schema, runtime, ct));
    }

    private static async Task<IResult> ReplaceAsync(string service, HttpRequest request, ISchemaView schema, IRuntimeApi runtime, CancellationToken ct)
    {
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(request.Body, cancellationToken: ct)).RootElement;
        }
        catch (JsonException e)
        {
            return AdminEndpoints.Error(400, $"The body is not JSON: {e.Message}");
        }

        if (body.ValueKind != JsonValueKind.Object
            || !body.TryGetProperty("object_key", out var keyElement) || keyElement.ValueKind != JsonValueKind.String
            || !body.TryGetProperty("new_state", out var stateElement) || stateElement.ValueKind != JsonValueKind.Object)
        {
            return AdminEndpoints.Error(400, "Expected {\"object_key\": string, \"new_state\": {name: [bytes…]}, \"version\": string|null}.");
        }

        var newState = new Dictionary<string, byte[]>();
        foreach (var entry in stateElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Array || !entry.Value.EnumerateArray().All(b => b.ValueKind == JsonValueKind.Number && b.TryGetByte(out _)))
            {
                return AdminEndpoints.Error(400, $"State entry '{entry.Name}' must be an array of byte values (0–255).");
            }

            newState[entry.Name] = [.. entry.Value.EnumerateArray().Select(b => b.GetByte())];
        }

        if (!schema.TryGetService(service, out var info))
        {
            // Clearing the state of a service that is gone is allowed: its data may still be stored.
            if (newState.Count > 0)
            {
                return AdminEndpoints.Error(404, $"Service {service} not found.");
            }
        }
        else if (info.Type == ServiceType.Service)
        {
            return AdminEndpoints.Error(400, $"{service} is a service: only virtual objects and workflows have state.");
        }

        var version = body.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var result = await runtime.ReplaceStateAsync(service, keyElement.GetString()!, version, newState, ct);
        return result.Status == ControlStatus.Done ? Results.StatusCode(202) : AdminEndpoints.Error(409, result.Message ?? "Conflict.");
    }
}
