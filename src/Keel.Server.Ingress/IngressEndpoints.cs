using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Admin;
using Keel.Server.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Keel.Server.Ingress;

/// <summary>The ingress API (Restate 1.7 paths, status codes and error bodies).</summary>
public static partial class IngressEndpoints
{
    private static readonly HashSet<string> DroppedHeaders = new(StringComparer.OrdinalIgnoreCase) { "connection", "host", "idempotency-key", "idempotency-expires" };

    /// <param name="time">The server's clock: a delayed send is due at its now plus the delay (a test clock moves both).</param>
    public static void Map(IEndpointRouteBuilder app, SchemaRegistry schema, IRuntimeApi runtime, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        app.MapGet("/restate/health", () => runtime.Failure is { } failure
            ? Results.Json(new JsonObject { ["code"] = 503, ["message"] = failure.Message }, statusCode: 503)
            : Results.Json(new JsonObject { ["services"] = new JsonArray([.. schema.Services.Select(s => (JsonNode)s.Name)]) }));
        app.Map("/{**path}", (HttpContext http) => HandleAsync(http, schema, runtime, time));
    }

    private static async Task HandleAsync(HttpContext http, SchemaRegistry schema, IRuntimeApi runtime, TimeProvider time)
    {
        var segments = http.Request.Path.Value!.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var ct = http.RequestAborted;
        if (segments.Length >= 1 && segments[0] == "restate")
        {
            await RestatePathAsync(http, segments, runtime, ct);
            return;
        }

        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsPost(http.Request.Method))
        {
            await IngressError(http, 405, "Only GET and POST invoke handlers.");
            return;
        }

        if (segments.Length < 2 || !schema.TryGetService(segments[0], out var service))
        {
            var name = segments.Length > 0 ? segments[0] : string.Empty;
            await IngressError(http, 404, $"Service '{name}' not found.{CaseHint(schema, segments)}");
            return;
        }

        var keyed = service.Type != ServiceType.Service;
        var expected = keyed ? 3 : 2;
        var isSend = segments.Length == expected + 1 && segments[^1] == "send";
        if (segments.Length != expected && !isSend)
        {
            await IngressError(http, 404, keyed ? $"Use /{service.Name}/{{key}}/{{handler}}." : $"Use /{service.Name}/{{handler}}.");
            return;
        }

        var handlerName = segments[expected - 1];
        if (!service.Handlers.TryGetValue(handlerName, out var handler))
        {
            await IngressError(http, 404, $"Handler '{service.Name}/{handlerName}' not found.{CaseHint(schema, segments)}");
            return;
        }

        if (!service.Public || !handler.Public)
        {
            await IngressError(http, 400, $"'{service.Name}/{handlerName}' is private.");
            return;
        }

        var idempotencyKey = http.Request.Headers["idempotency-key"].ToString() is { Length: > 0 } ik ? ik : null;
        if (idempotencyKey is not null && handler.Kind == HandlerType.Workflow)
        {
            await IngressError(http, 400, "The idempotency-key header is not allowed on a workflow's run handler.");
            return;
        }

        DateTimeOffset? executionTime = null;
        if (http.Request.Query.TryGetValue("delay", out var delayText))
        {
            if (!isSend)
            {
                await IngressError(http, 400, "delay is only allowed on /send.");
                return;
            }

            if (DelayParameter.Read(delayText, out var delay) is { } delayProblem)
            {
                await IngressError(http, 400, delayProblem);
                return;
            }

            executionTime = time.GetUtcNow() + delay;
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, ct);
        if (InputCheck.Problem($"{service.Name}/{handler.Name}", handler.Input, http.Request.ContentType, body.GetBuffer().AsSpan(0, (int)body.Length)) is { } inputProblem)
        {
            // Refused before SubmitAsync: no invocation, journal or idempotency entry exists for it.
            await IngressError(http, 400, inputProblem);
            return;
        }

        var headers = http.Request.Headers.Where(h => !DroppedHeaders.Contains(h.Key) && !h.Key.StartsWith(':'))
            .Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value.ToString()))
            .Append(KeyValuePair.Create("x-restate-ingress-path", http.Request.Path + http.Request.QueryString))
            .ToList();
        using var activity = IngressTracing.Start(http, service.Name, handler.Name, isSend);
        var request = new InvocationRequest(service.Name, handler.Name, keyed ? segments[1] : null, body.ToArray(), headers, idempotencyKey, isSend, executionTime,
            IngressTracing.InvocationTrace(http, activity));
        SubmitResult result;
        try
        {
            result = await runtime.SubmitAsync(request, ct);
        }
        catch (Partitions.UnknownTargetException e)
        {
            await IngressError(http, 404, e.Message);
            return;
        }

        http.Response.Headers["x-restate-id"] = result.Id.ToString();
        activity?.SetTag("keel.invocation.id", result.Id.ToString());
        if (isSend)
        {
            var answer = new JsonObject { ["invocationId"] = result.Id.ToString(), ["status"] = result.Status.ToString() };
            if (result.ExecutionTime is { } at)
            {
                answer["executionTime"] = at.ToString("O");
            }

            await Results.Json(answer, statusCode: 202).ExecuteAsync(http);
            return;
        }

        if (handler.Kind == HandlerType.Workflow && result.Status == SubmitStatus.PreviouslyAccepted)
        {
            await IngressError(http, 409, "the workflow method was already invoked");
            return;
        }

        await WriteResult(http, result.Result!, handler.Output?.ContentType);
    }

    /// <summary>
    /// " Did you mean /Checkout/placeOrder?" when the path names a service and handler that exist
    /// except for the case of their letters (names are case-sensitive); else nothing.
    /// </summary>
    private static string CaseHint(SchemaRegistry schema, string[] segments)
    {
        if (segments.Length < 2)
        {
            return string.Empty;
        }

        var service = schema.TryGetService(segments[0], out var exact)
            ? exact
            : schema.Services.FirstOrDefault(s => string.Equals(s.Name, segments[0], StringComparison.OrdinalIgnoreCase));
        if (service is null)
        {
            return string.Empty;
        }

        var keyed = service.Type != ServiceType.Service;
        var handlerIndex = keyed ? 2 : 1;
        if (segments.Length <= handlerIndex)
        {
            return string.Empty;
        }

        var handler = service.Handlers.ContainsKey(segments[handlerIndex])
            ? segments[handlerIndex]
            : service.Handlers.Keys.FirstOrDefault(h => string.Equals(h, segments[handlerIndex], StringComparison.OrdinalIgnoreCase));
        if (handler is null || (service.Name == segments[0] && handler == segments[handlerIndex]))
        {
            return string.Empty;
        }

        var fixedSegments = (string[])segments.Clone();
        fixedSegments[0] = service.Name;
        fixedSegments[handlerIndex] = handler;
        return $" Did you mean /{string.Join('/', fixedSegments.Select(Uri.EscapeDataString))}? Service and handler names are case-sensitive.";
    }
}
