using Keel.Sdk.Core;

namespace Keel.Sdk;

/// <summary>How <c>RunAsync</c> retries a closure that throws a non-terminal exception.</summary>
public sealed record RetryPolicy
{
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    public double Factor { get; init; } = 2.0;

    public TimeSpan? MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After this many attempts the run fails terminally (null = unbounded).</summary>
    public int? MaxAttempts { get; init; }

    public TimeSpan? MaxDuration { get; init; }

    public static RetryPolicy Default { get; } = new();

    internal RunRetryPolicy ToCore() => new(InitialDelay, Factor, MaxDelay, MaxAttempts, MaxDuration);
}
