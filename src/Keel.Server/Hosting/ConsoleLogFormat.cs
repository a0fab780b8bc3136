namespace Keel.Server.Hosting;

/// <summary>
/// JSON console logs on request (<c>--log-format json</c>). Part of the host, not of the telemetry
/// export role: it needs nothing beyond the logging every server has.
/// </summary>
internal static class ConsoleLogFormat
{
    public static void AddConsoleLogFormat(this WebApplicationBuilder builder, ServerSettings settings)
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
    }
}
