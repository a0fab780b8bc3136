namespace Keel.Server;

/// <summary>Settings of the runtime core (the host maps flags, env vars and config files onto it).</summary>
public sealed record RuntimeOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>
    /// Partitions of the keyspace, each with its own processor (two threads: apply and commit).
    /// Two by default: on small machines fewer partitions mean larger batches and fewer thread
    /// hand-offs per request (see docs/benchmarks.md); more help when cores are plenty.
    /// Fixed for a data directory: invocations are owned by partition key modulo this count.
    /// </summary>
    public int Partitions { get; init; } = 2;

    /// <summary>6 matches a default Restate 1.7 server; 7 when the V7 flag is on.</summary>
    public int MaxProtocolVersion { get; init; } = 6;

    public TimeSpan DefaultInactivityTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan DefaultAbortTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan RetryInitialInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public double RetryFactor { get; init; } = 2.0;

    public TimeSpan RetryMaxInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>After this many failed attempts the invocation is paused.</summary>
    public int RetryMaxAttempts { get; init; } = 70;

    /// <summary>
    /// Fail an invocation for good on its first failed attempt, with the attempt's error (message, then
    /// the SDK's exception text and stack on the next lines), whatever its retry policy says. For test
    /// environments, where a caller waiting for a retry loop to pause learns nothing; never in production.
    /// </summary>
    public bool FailOnAttemptError { get; init; }

    /// <summary>How long a completed invocation's result stays reachable (attach, output, idempotency, workflow run).</summary>
    public TimeSpan CompletionRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a completed invocation's journal stays readable (SQL introspection, the CLI's
    /// describe) unless its handler or service sets its own; zero deletes it at completion.
    /// </summary>
    public TimeSpan DefaultJournalRetention { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// When this many attempts wait for a free invoker slot, new ingress requests are refused (429)
    /// until the deployments catch up: accepted work is durable anyway, but a backlog without bound
    /// would grow memory and latency without bound.
    /// </summary>
    public int MaxInvokerBacklog { get; init; } = 5_000;

    /// <summary>
    /// The development profile (<c>keel-server --dev</c>, Keel.Testing): the same defaults with a short
    /// retry policy, so a handler's bug pauses its invocation after a few seconds (4 attempts, 0.5 s, 1 s
    /// and 2 s apart) instead of being retried for about an hour (70 attempts up to a minute apart).
    /// </summary>
    public RuntimeOptions WithDevelopmentRetries() => this with
    {
        RetryInitialInterval = TimeSpan.FromMilliseconds(500),
        RetryFactor = 2.0,
        RetryMaxInterval = TimeSpan.FromSeconds(2),
        RetryMaxAttempts = 4,
    };

    /// <summary>
    /// Deadlock detection (docs/server.md "Deadlocks"): the partitions tell their waits to the in-memory wait-for
    /// graph and rebuild them at start. Off (<c>--deadlock-detection off</c>) nothing is told, kept or rebuilt.
    /// </summary>
    public bool DeadlockDetection { get; init; } = true;

    /// <summary>Queue bound, cleanup interval and timer window of each partition processor.</summary>
    public Partitions.ProcessorOptions Processor { get; init; } = new();
}
