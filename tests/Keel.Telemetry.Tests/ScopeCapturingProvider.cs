using Microsoft.Extensions.Logging;

namespace Keel.Telemetry.Tests;

/// <summary>Keeps each log line with the scope properties active when it was written.</summary>
public sealed class ScopeCapturingProvider : ILoggerProvider, ISupportExternalScope
{
    public sealed record Line(string Category, string Message, IReadOnlyDictionary<string, object?> Scope);

    private readonly LockedCollection<Line> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<Line> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(ScopeCapturingProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            provider._scopes.ForEachScope((item, into) =>
            {
                if (item is IEnumerable<KeyValuePair<string, object?>> properties)
                {
                    foreach (var (key, value) in properties)
                    {
                        into[key] = value;
                    }
                }
            }, scope);
            provider._lines.Add(new Line(category, formatter(state, exception), scope));
        }
    }
}
