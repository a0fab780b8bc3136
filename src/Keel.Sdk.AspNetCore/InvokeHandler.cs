using Keel.Protocol.Framing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.AspNetCore;

/// <summary><c>POST /invoke/{service}/{handler}</c>: negotiates the protocol version and runs the invocation.</summary>
internal static partial class InvokeHandler
{
    public static async Task HandleAsync(HttpContext http, ServiceRegistry registry, string service, string handler)
    {
        http.Response.Headers[SdkVersion.HeaderName] = SdkVersion.Value;
        if (!registry.TryGetHandler(service, handler, out _, out var definition))
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync($"No handler {service}/{handler} on this endpoint.");
            return;
        }

        var contentType = http.Request.ContentType;
        switch (ServiceProtocolVersions.TryParse(contentType, out var version))
        {
            case ServiceProtocolVersions.ParseOutcome.UnsupportedVersion:
                http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await http.Response.WriteAsync($"Unsupported protocol version '{contentType}'; this endpoint speaks v{ServiceProtocolVersions.MinSupported}–v{ServiceProtocolVersions.MaxSupported}.");
                return;
            case ServiceProtocolVersions.ParseOutcome.NotAProtocolContentType:
                http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await http.Response.WriteAsync($"'{contentType}' is not a service protocol content type.");
                return;
        }

        // Invocation streams stay open for as long as the handler waits: no body size or rate limits.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = null;
        }

        if (http.Features.Get<IHttpMinResponseDataRateFeature>() is { } responseRate)
        {
            responseRate.MinDataRate = null;
        }

        var invocationId = http.Request.Headers["x-restate-invocation-id"].ToString();
        using var activity = KeelTelemetry.StartHandler(service, handler, http.Request.Headers["traceparent"].ToString(), http.Request.Headers["tracestate"].ToString());
        if (activity is not null)
        {
            activity.SetTag("keel.invocation.id", invocationId);
            activity.SetTag("keel.invocation.target", $"{service}/{handler}");
            // The Keel server parents the calls this handler issues on its span (restate-server ignores it).
            http.Response.Headers["traceresponse"] = KeelTelemetry.TraceResponse(activity);
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = version.ContentType();
        await http.Response.StartAsync(http.RequestAborted);

        var loggerFactory = http.RequestServices.GetRequiredService<ILoggerFactory>();
        var logger = loggerFactory.CreateLogger("Keel.Invocation");

        // Every log line of this attempt (the SDK's and the handler's ctx.Logger) carries the invocation id.
        using var scope = invocationId.Length > 0 ? logger.BeginScope(new InvocationScope(invocationId)) : null;
        LogStart(logger, service, handler, invocationId, (int)version);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await InvocationRunner.RunAsync(
                definition,
                version,
                http.Request.BodyReader,
                http.Response.BodyWriter,
                type => ActivatorUtilities.CreateInstance(http.RequestServices, type),
                http.RequestServices.GetRequiredService<TimeProvider>(),
                http.RequestAborted,
                loggerFactory.CreateLogger("Keel." + service),
                http.RequestServices.GetService<KeelJsonOptions>());
            LogEnd(logger, service, handler, invocationId);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            LogAborted(logger, service, handler, invocationId);
        }
        finally
        {
            KeelTelemetry.AttemptDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("keel.invocation.target", $"{service}/{handler}"));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Invoking {Service}/{Handler} ({InvocationId}, protocol v{Version})")]
    private static partial void LogStart(ILogger logger, string service, string handler, string invocationId, int version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Attempt of {Service}/{Handler} ({InvocationId}) ended")]
    private static partial void LogEnd(ILogger logger, string service, string handler, string invocationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "The runtime aborted the attempt of {Service}/{Handler} ({InvocationId})")]
    private static partial void LogAborted(ILogger logger, string service, string handler, string invocationId);
}
