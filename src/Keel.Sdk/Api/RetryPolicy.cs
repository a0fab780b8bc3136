using Keel.Sdk.Core;

namespace Keel.Sdk;

/// <summary>How <c>RunAsync</c> retries a closure that throws a non-terminal exception.</summary>
public sealed record RetryPolicy
{
    /// <summary>The wait before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Each wait is the previous one times this factor (exponential backoff).</summary>
    public double Factor { get; init; } = 2.0;

    /// <summary>The longest wait between two attempts (null = no cap).</summary>
    public TimeSpan? MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After this many attempts the run fails terminally (null = unbounded).</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>After this much time since the first attempt the run fails terminally (null = unbounded).</summary>
    public TimeSpan? MaxDuration { get; init; }

    /// <summary>50 ms, doubling, at most 10 s apart, never giving up.</summary>
    public static RetryPolicy Default { get; } = new();

    internal RunRetryPolicy ToCore() => new(InitialDelay, Factor, MaxDelay, MaxAttempts, MaxDuration);
}
