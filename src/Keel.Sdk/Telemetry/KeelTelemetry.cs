using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Keel.Sdk;

/// <summary>
/// The names under which the SDK reports spans and metrics (plain System.Diagnostics, so Keel.Sdk
/// needs no OpenTelemetry package). With OpenTelemetry in the endpoint app:
/// <c>.WithTracing(t => t.AddSource(KeelTelemetry.ActivitySourceName))</c> and
/// <c>.WithMetrics(m => m.AddMeter(KeelTelemetry.MeterName))</c>.
/// </summary>
public static class KeelTelemetry
{
    /// <summary>The ActivitySource of handler, run, call and send spans.</summary>
    public const string ActivitySourceName = "Keel.Sdk";

    /// <summary>The Meter of the SDK's metrics (<c>keel.sdk.attempt.duration</c>).</summary>
    public const string MeterName = "Keel.Sdk";

    internal static readonly ActivitySource Source = new(ActivitySourceName);

    internal static readonly Meter Meter = new(MeterName);

    /// <summary>How long this endpoint ran one attempt of a handler, by <c>keel.invocation.target</c>.</summary>
    internal static readonly Histogram<double> AttemptDuration =
        Meter.CreateHistogram<double>("keel.sdk.attempt.duration", "s", "Duration of handler attempts on this endpoint.");

    /// <summary>
    /// Starts a handler span under the runtime's W3C <c>traceparent</c>/<c>tracestate</c> (the Keel
    /// server's attempt span, or restate-server's). A missing or malformed header starts a new trace:
    /// tracing never fails an invocation. Null while no one listens.
    /// </summary>
    internal static Activity? StartHandler(string service, string handler, string? traceParent, string? traceState)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var name = $"handler {service}/{handler}";
        if (!string.IsNullOrWhiteSpace(traceParent) && ActivityContext.TryParse(traceParent.Trim(), string.IsNullOrWhiteSpace(traceState) ? null : traceState, isRemote: true, out var parent)
            && parent.TraceId != default && parent.SpanId != default)
        {
            return Source.StartActivity(name, ActivityKind.Server, parent);
        }

        // ASP.NET Core keeps a placeholder activity for log scopes when nothing listens to it; it is
        // never exported, so it must not become the parent (this flow only loses it as current).
        if (Activity.Current is { } current && !current.Source.HasListeners())
        {
            Activity.Current = null;
        }

        return Source.StartActivity(name, ActivityKind.Server, default(ActivityContext));
    }

    /// <summary>A span marking a call or send the handler issued now (not one replayed from the journal), under the current span.</summary>
    internal static void Issued(string verb, Target target, bool replaying)
    {
        if (replaying || !Source.HasListeners())
        {
            return;
        }

        var name = target.Key is null ? $"{target.ServiceName}/{target.HandlerName}" : $"{target.ServiceName}/{target.Key}/{target.HandlerName}";
        using var span = Source.StartActivity($"{verb} {target.ServiceName}/{target.HandlerName}", verb == "send" ? ActivityKind.Producer : ActivityKind.Client);
        span?.SetTag("keel.call.target", name);
    }

    /// <summary>The W3C <c>traceresponse</c> value of a span: tells the runtime which span runs the handler.</summary>
    internal static string TraceResponse(Activity activity) =>
        $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(byte)activity.ActivityTraceFlags:x2}";
}
