namespace Keel.Server.Hosting;

/// <summary>What an embedding process (a test environment, a custom host) changes about a server started in-process.</summary>
public sealed class KeelServerHostOptions
{
    /// <summary>The clock of timers, retention, retries and timeouts; a test clock lets tests skip time.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Fail an invocation for good on its first failed attempt, the caller receiving the handler's error
    /// and stack (see <see cref="RuntimeOptions.FailOnAttemptError"/>): for test environments only.
    /// </summary>
    public bool FailOnAttemptError { get; init; }

    /// <summary>Changes to the server's logging (providers, filters); the default logs to the console.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>
    /// The optional roles to plug in (SQL, the cluster on PostgreSQL, telemetry export), one new instance
    /// per start; none by default. Keel.Server.Full lists every one of them.
    /// </summary>
    public IReadOnlyList<Func<ServerRole>> Roles { get; init; } = [];
}
