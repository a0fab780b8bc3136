using Keel.Server.Contracts;

namespace Keel.Server.Partitions;

/// <summary>
/// The retry policy that applies to one invocation: exponential backoff between failed attempts,
/// optionally capped, and what to do once the attempts are used up. Pure and deterministic (no
/// jitter), so the state machine can compute the same delay on every replica and on replay.
/// </summary>
/// <param name="InitialInterval">The delay before the first retry.</param>
/// <param name="Factor">Each further delay is the previous one times this.</param>
/// <param name="MaxInterval">Upper bound of a computed delay (from the second retry on); null = none.</param>
/// <param name="MaxAttempts">Attempts in total, the first one included (1 = never retry); null = unlimited.</param>
/// <param name="OnMax">What happens when the attempts are used up.</param>
public sealed record EffectiveRetryPolicy(TimeSpan InitialInterval, double Factor, TimeSpan? MaxInterval, int? MaxAttempts, OnMaxAttempts OnMax)
{
    /// <summary>
    /// Field by field: the handler's override, else the service's, else the server default. The server
    /// default gives up by pausing; a default <see cref="RuntimeOptions.RetryMaxAttempts"/> of 0 or less
    /// means unlimited attempts. A max attempts below 1 from the schema counts as 1.
    /// </summary>
    public static EffectiveRetryPolicy Resolve(HandlerInfo? handler, ServiceInfo? service, RuntimeOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var h = handler?.RetryPolicy;
        var s = service?.RetryPolicy;
        var maxAttempts = h?.MaxAttempts ?? s?.MaxAttempts;
        return new EffectiveRetryPolicy(
            h?.InitialInterval ?? s?.InitialInterval ?? defaults.RetryInitialInterval,
            h?.Factor ?? s?.Factor ?? defaults.RetryFactor,
            h?.MaxInterval ?? s?.MaxInterval ?? defaults.RetryMaxInterval,
            maxAttempts is { } n ? Math.Max(1, n) : defaults.RetryMaxAttempts > 0 ? defaults.RetryMaxAttempts : null,
            h?.OnMaxAttempts ?? s?.OnMaxAttempts ?? OnMaxAttempts.Pause);
    }

    /// <summary>
    /// How long to wait before the next attempt after <paramref name="failedAttempts"/> failed ones
    /// (values below 1 count as 1). The first retry waits <see cref="InitialInterval"/> as is; from then on
    /// each delay is the previous one times <see cref="Factor"/>, capped at <see cref="MaxInterval"/>.
    /// For a factor of at least 1 that is min(initial × factor^(n−1), max). A product that is negative,
    /// not a number or beyond <see cref="TimeSpan.MaxValue"/> saturates to the cap (or to MaxValue).
    /// </summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        if (failedAttempts <= 1)
        {
            return InitialInterval;
        }

        var cap = MaxInterval ?? TimeSpan.MaxValue;
        double ticks;
        if (Factor < 0)
        {
            // Only reachable through the server defaults (the manifest requires at least 1): a negative
            // product saturates, so every delay after the first is the cap.
            return cap;
        }

        if (Factor >= 1 || double.IsNaN(Factor))
        {
            // Growing (or saturating): once the cap is reached every later delay stays there.
            ticks = InitialInterval.Ticks * Math.Pow(Factor, failedAttempts - 1);
        }
        else
        {
            // Shrinking: only the second delay can meet the cap (when the initial interval exceeds it);
            // each later one is the previous one times the factor.
            var second = Saturate(InitialInterval.Ticks * Factor, cap);
            ticks = second.Ticks * Math.Pow(Factor, failedAttempts - 2);
        }

        return Saturate(ticks, cap);
    }

    /// <summary>Whether <paramref name="failedAttempts"/> failed attempts use up the policy (no retry is left).</summary>
    public bool Exhausted(int failedAttempts) => MaxAttempts is { } max && failedAttempts >= max;

    private static TimeSpan Saturate(double ticks, TimeSpan cap) =>
        double.IsNaN(ticks) || ticks < 0 || ticks >= cap.Ticks ? cap : TimeSpan.FromTicks((long)ticks);
}
