using Keel.Sdk.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Testing;

/// <summary>What a <see cref="KeelTestEnvironment"/> hosts and how it behaves.</summary>
public sealed class KeelTestEnvironmentOptions
{
    /// <summary>The services to host, as in <c>AddKeel</c>: <c>k => k.AddService&lt;Signup&gt;()</c>; also serializer settings.</summary>
    public Action<KeelBuilder>? ConfigureKeel { get; set; }

    /// <summary>Dependencies of the services (they are created per invocation through this container).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>
    /// Skip time automatically (the default): whenever a client of the environment waits for a result and
    /// the runtime has nothing to do, the clock jumps to the next durable timer, so a one-day sleep
    /// takes no real time. False: time moves only with real time and <see cref="KeelTestClock.AdvanceAsync"/>.
    /// </summary>
    public bool AutoSkipTime { get; set; } = true;

    /// <summary>
    /// Fail an invocation on its first failed attempt (the default): a handler (or <c>RunAsync</c> closure)
    /// that throws makes the awaiting call throw a <c>TerminalException</c> at once, whose message is the
    /// exception's message followed by its type and stack trace on the next lines. False: failures are
    /// retried as on a development server (<c>keel-server --dev</c>: 4 attempts, the backoff skipped with
    /// the clock, then the invocation pauses and the call does not return), to test retries themselves.
    /// </summary>
    public bool FailOnFirstAttemptError { get; set; } = true;

    /// <summary>Logging of the server and of the services' endpoint; none by default (add a provider to see it).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }
}
