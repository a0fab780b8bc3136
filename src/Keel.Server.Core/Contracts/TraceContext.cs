using System.Diagnostics;

namespace Keel.Server.Contracts;

/// <summary>
/// A W3C trace context (<c>traceparent</c>, optional <c>tracestate</c>) that an invocation remembers
/// durably: its attempts and the invocations it calls join the trace of the request that created it,
/// even across restarts and suspensions. Only well-formed values are kept; anything else is ignored,
/// because a client's broken header must never fail an invocation.
/// </summary>
public sealed record TraceContext(string TraceParent, string? TraceState = null)
{
    /// <summary>Longer <c>tracestate</c> values are dropped (the W3C limit is 32 members of at most 256 characters; 512 is what propagators keep).</summary>
    public const int MaxTraceStateLength = 512;

    /// <summary>Parses a <c>traceparent</c> (and its <c>tracestate</c>); null when absent or malformed.</summary>
    public static TraceContext? Parse(string? traceParent, string? traceState)
    {
        if (string.IsNullOrWhiteSpace(traceParent) || !ActivityContext.TryParse(traceParent.Trim(), null, out var context)
            || context.TraceId == default || context.SpanId == default)
        {
            return null;
        }

        var state = string.IsNullOrWhiteSpace(traceState) || traceState.Length > MaxTraceStateLength ? null : traceState.Trim();
        return From(new ActivityContext(context.TraceId, context.SpanId, context.TraceFlags, state));
    }

    /// <summary>The context of a span (its own ids, so the next span is its child).</summary>
    public static TraceContext From(ActivityContext context) =>
        new($"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(byte)context.TraceFlags:x2}", context.TraceState);

    /// <summary>The context of a running span, or null when there is none.</summary>
    public static TraceContext? From(Activity? activity) => activity is null || activity.IdFormat != ActivityIdFormat.W3C ? null : From(activity.Context);

    /// <summary>As a parent for a new span (remote: it was received, not created here).</summary>
    public ActivityContext ToActivityContext() =>
        ActivityContext.TryParse(TraceParent, TraceState, isRemote: true, out var context) ? context : default;
}
