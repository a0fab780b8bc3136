using Keel.Server.Telemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Keel.Server.Hosting;

/// <summary>
/// Exports the server's spans and metrics (<see cref="ServerTelemetry"/>): Prometheus text on the
/// admin port's <c>/metrics</c> always, OTLP when an endpoint is configured; JSON console logs on request.
/// </summary>
internal static class ServerTelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static void AddServerTelemetry(this WebApplicationBuilder builder, ServerSettings settings)
    {
        if (settings.LogFormat == "json")
        {
            // Scopes carry the invocation id of server logs about an invocation.
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        var otel = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("keel-server"));
        otel.WithMetrics(metrics =>
        {
            metrics.AddMeter(ServerTelemetry.Name);
            // A scrape reads the current values: no cached response (the exporter's default caches 300 ms).
            metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            if (settings.OtlpEndpoint is { } endpoint)
            {
                metrics.AddOtlpExporter(otlp => otlp.Endpoint = endpoint);
            }
        });

        // Spans are exported only with OTLP; while nothing listens, the server starts none at all.
        if (settings.OtlpEndpoint is { } traceEndpoint)
        {
            otel.WithTracing(tracing => tracing.AddSource(ServerTelemetry.Name).AddOtlpExporter(otlp => otlp.Endpoint = traceEndpoint));
        }
    }

    /// <summary>Prometheus' scrape endpoint, on the admin port only.</summary>
    public static void MapServerMetrics(this WebApplication app, int adminPort) =>
        app.MapPrometheusScrapingEndpoint(MetricsPath).RequireHost($"*:{adminPort}");
}
