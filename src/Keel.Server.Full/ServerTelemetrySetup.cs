using Keel.Server.Telemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Keel.Server.Hosting;

/// <summary>
/// Exports the server's spans and metrics (<see cref="ServerTelemetry"/>): Prometheus text on the
/// admin port's <c>/metrics</c> always, OTLP when an endpoint is configured. A server role
/// (<see cref="TelemetryExportRole"/>) so that only the full server carries OpenTelemetry's exporters;
/// JSON console logs are the host's own.
/// </summary>
internal static class ServerTelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static void AddServerTelemetry(this WebApplicationBuilder builder, ServerSettings settings)
    {
        var otel = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("keel-server"));
        otel.WithMetrics(metrics =>
        {
            metrics.AddMeter(ServerTelemetry.Name);
            // A scrape reads the current values: no cached response (the exporter's default caches 300 ms).
            metrics.AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
            if (settings.OtlpEndpoint is { } endpoint)
            {
                metrics.AddOtlpExporter(otlp => Otlp(otlp, settings, endpoint, "v1/metrics"));
            }
        });

        // Spans are exported only with OTLP; while nothing listens, the server starts none at all.
        if (settings.OtlpEndpoint is { } traceEndpoint)
        {
            otel.WithTracing(tracing => tracing.AddSource(ServerTelemetry.Name).AddOtlpExporter(otlp => Otlp(otlp, settings, traceEndpoint, "v1/traces")));
        }
    }

    /// <summary>
    /// gRPC takes the collector's address as is; over HTTP each signal has its own path, which the
    /// exporter does not add to an endpoint set in code (it does for the environment variable only).
    /// </summary>
    private static void Otlp(OtlpExporterOptions otlp, ServerSettings settings, Uri endpoint, string signalPath)
    {
        if (settings.OtlpProtocol == "http/protobuf")
        {
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            otlp.Endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath);
        }
        else
        {
            otlp.Protocol = OtlpExportProtocol.Grpc;
            otlp.Endpoint = endpoint;
        }
    }

    /// <summary>Prometheus' scrape endpoint, on the admin listener only (the routes given are the admin listener's).</summary>
    public static void MapServerMetrics(this IEndpointRouteBuilder adminRoutes) =>
        adminRoutes.MapPrometheusScrapingEndpoint(MetricsPath);
}
