using System.Text.Json.Nodes;
using Keel.Server.Partitions;

namespace Keel.Server.Hosting;

/// <summary>
/// Turns the runtime's refusals into HTTP answers, for ingress and admin alike: a full partition
/// queue is 429 (retry later), a stopped partition 503, a request the server failed to apply 500,
/// an unknown target 404 — never a hang and never a misleading 404 for a server bug.
/// </summary>
internal static partial class RuntimeErrorMapping
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
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            // Anything else is a fault of this server. During a clean stop that is expected (parts already
            // disposed, waits cancelled): the outcome is unknown and the client should retry, with its
            // idempotency key, here after the restart or at another node — 503, as for a stopped partition.
            // Otherwise 500, but always with a body saying what happened, never Kestrel's empty one.
            var stopping = app.Lifetime.ApplicationStopping.IsCancellationRequested;
            var status = stopping ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
            if (stopping)
            {
                LogStoppingFailure(app.Logger, e, http.Request.Method, http.Request.Path);
            }
            else
            {
                LogUnexpectedFailure(app.Logger, e, http.Request.Method, http.Request.Path);
            }

            http.Response.Clear();
            http.Response.StatusCode = status;
            if (stopping)
            {
                http.Response.Headers.RetryAfter = "5";
            }

            http.Response.ContentType = "application/json";
            var message = stopping
                ? "The server is stopping; the outcome of this request is unknown. Try again (with the same idempotency key)."
                : $"Internal error ({e.GetType().Name}); see the server's log.";
            await http.Response.WriteAsync(new JsonObject { ["code"] = status, ["message"] = message }.ToJsonString());
        }
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} failed while the server was stopping; answered 503")]
    private static partial void LogStoppingFailure(ILogger logger, Exception error, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with an unexpected error; answered 500")]
    private static partial void LogUnexpectedFailure(ILogger logger, Exception error, string method, string path);

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
