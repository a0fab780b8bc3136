using Microsoft.Extensions.Logging;

namespace Keel.Sdk.Internal;

/// <summary>
/// Drops log entries while the invocation replays journaled work: that code already ran (and
/// logged) in an earlier attempt, so logging again would duplicate every line on each retry.
/// </summary>
internal sealed class ReplayAwareLogger(ILogger inner, Func<bool> isReplaying) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => !isReplaying() && inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!isReplaying())
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
