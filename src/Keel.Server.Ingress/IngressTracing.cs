using System.Diagnostics;
using Keel.Server.Contracts;
using Keel.Server.Telemetry;

namespace Keel.Server.Ingress;

/// <summary>
/// The ingress request's span and the trace context a new invocation remembers: the client's
/// <c>traceparent</c>/<c>tracestate</c> (malformed or missing ones are ignored, never an error).
/// </summary>
internal static class IngressTracing
{
    /// <summary>Starts the ingress span under the client's context (a new trace without one); null while no one listens.</summary>
    public static Activity? Start(HttpContext http, string service, string handler, bool isSend)
    {
        var activity = Spans.Start(ServerTelemetry.Source, $"ingress {service}/{handler}", ActivityKind.Server, Incoming(http)?.ToActivityContext());
        activity?.SetTag("keel.invocation.target", $"{service}/{handler}");
        activity?.SetTag("keel.ingress.send", isSend);
        return activity;
    }

    /// <summary>What the invocation's spans continue: the ingress span, else (no listener here) the client's context, else none.</summary>
    public static TraceContext? InvocationTrace(HttpContext http, Activity? ingress) => TraceContext.From(ingress) ?? Incoming(http);

    private static TraceContext? Incoming(HttpContext http) =>
        TraceContext.Parse(http.Request.Headers["traceparent"].ToString(), http.Request.Headers["tracestate"].ToString());
}
