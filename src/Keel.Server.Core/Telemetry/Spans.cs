using System.Diagnostics;

namespace Keel.Server.Telemetry;

/// <summary>Starting spans with an explicit parent, and nothing at all while no one listens.</summary>
public static class Spans
{
    /// <summary>
    /// Starts a span under <paramref name="parent"/> (a propagated context); with none, a new trace,
    /// unless the current activity is a real span of a listened source (e.g. ASP.NET Core's). The
    /// placeholder activity ASP.NET Core creates for log scopes when nothing listens is never used as
    /// a parent: it is not exported, so the trace would point at a span that does not exist.
    /// </summary>
    public static Activity? Start(ActivitySource source, string name, ActivityKind kind, ActivityContext? parent)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.HasListeners())
        {
            return null;
        }

        if (parent is { } context && context != default)
        {
            return source.StartActivity(name, kind, context);
        }

        if (Activity.Current is { } current && !current.Source.HasListeners())
        {
            // Only this async flow (the caller's) loses the placeholder as its current activity.
            Activity.Current = null;
        }

        return source.StartActivity(name, kind, default(ActivityContext));
    }
}
