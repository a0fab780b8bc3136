using System.Net;
using Keel.Protocol.Manifest;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.AspNetCore;

/// <summary>Hosts Keel services in one line: <c>await KeelEndpoint.RunAsync(args, k => k.AddService&lt;Greeter&gt;());</c></summary>
public static class KeelEndpoint
{
    /// <summary>
    /// Environment: <c>PORT</c> (default 9080), <c>BIND_ADDRESS</c> (default 127.0.0.1),
    /// <c>KEEL_PROTOCOL_MODE=request-response</c> to serve HTTP/1.1 request-response instead of h2c streams,
    /// <c>KEEL_ADMIN_URL</c> to register with a runtime once listening (<see cref="KeelBuilder.AdminUrl"/>).
    /// </summary>
    public static Task RunAsync(string[] args, Action<KeelBuilder> configure)
    {
        var port = int.TryParse(Environment.GetEnvironmentVariable("PORT"), out var p) ? p : 9080;
        var address = IPAddress.TryParse(Environment.GetEnvironmentVariable("BIND_ADDRESS"), out var a) ? a : IPAddress.Loopback;
        var requestResponse = string.Equals(Environment.GetEnvironmentVariable("KEEL_PROTOCOL_MODE"), "request-response", StringComparison.OrdinalIgnoreCase);
        var app = Build(args, address, port, requestResponse, configure);
        return app.RunAsync();
    }

    /// <summary>Builds (does not start) a web application serving the services on one port.</summary>
    public static WebApplication Build(string[] args, IPAddress address, int port, bool requestResponse, Action<KeelBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = WebApplication.CreateSlimBuilder(args);
        // One line per HTTP request is noise for an invocation endpoint; keep ASP.NET's own logs to warnings.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddKeel(k =>
        {
            k.ProtocolMode = requestResponse ? ProtocolMode.RequestResponse : ProtocolMode.BidiStream;
            k.Port = port;
            k.BindAddress = address;
            k.KeepAppUrls = false;
            configure(k);
        });
        var app = builder.Build();
        app.MapKeel();
        return app;
    }
}
