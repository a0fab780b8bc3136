namespace Keel.Server.Hosting;

/// <summary>Telemetry export as a server role: OTLP when configured, Prometheus' <c>/metrics</c> on the admin port.</summary>
public sealed class TelemetryExportRole : ServerRole
{
    public override void ConfigureBuilder(WebApplicationBuilder builder, ServerSettings settings) => builder.AddServerTelemetry(settings);

    public override void Map(WebApplication app, ServerRoleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AdminRoutes.MapServerMetrics();
    }
}
