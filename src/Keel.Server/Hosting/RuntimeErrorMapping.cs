using System.Text.Json.Nodes;
using Keel.Server.Partitions;

namespace Keel.Server.Hosting;

/// <summary>
/// Turns the runtime's refusals into HTTP answers, for ingress and admin alike: a full partition
/// queue is 429 (retry later), a stopped partition 503, a request the server failed to apply 500,
/// an unknown target 404 — never a hang and never a misleading 404 for a server bug.
/// </summary>
internal static class RuntimeErrorMapping
{
    public static void UseRuntimeErrorMapping(this WebApplication app, long maxBodyBytes) => app.Use(async (http, next) =>
    {
        try
        {
            await next(http);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!http.Response.HasStarted && e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's own 413 has no body; say which limit it was and how to change it.
            http.Response.Clear();
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(new JsonObject
            {
                ["code"] = 413,
                ["message"] = $"The request body is larger than this server takes ({maxBodyBytes} bytes; the setting is --ingress-max-body).",
            }.ToJsonString());
        }
        catch (Exception e) when (!http.Response.HasStarted && StatusOf(e) is { } status)
        {
            http.Response.Clear();
            http.Response.StatusCode = status;
            if (status is 429 or 503)
            {
                http.Response.Headers.RetryAfter = status == 429 ? "1" : "5";
            }

            if (e is InvocationMovedException moved)
            {
                // The invocation exists and goes on: say which one, so the client attaches instead of
                // sending the request again.
                http.Response.Headers["x-restate-id"] = moved.Id.ToString();
            }

            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(new JsonObject { ["code"] = status, ["message"] = e.Message }.ToJsonString());
        }
    });

    private static int? StatusOf(Exception e) => e switch
    {
        OverloadedException => 429,
        PartitionUnavailableException or PartitionNotOwnedException or InvocationMovedException => 503,
        // The cluster's database cannot be reached (restarting, failing over) on the request's own
        // path, e.g. looking up which node serves a partition: try again, the outcome is unknown.
        System.Data.Common.DbException => 503,
        InternalErrorException => 500,
        UnknownTargetException => 404,
        _ => null,
    };
}
