namespace Keel.Chaos.Workloads;

/// <summary>
/// How long the settling after the heal goes on. It stops when no request has settled for <see cref="Idle"/>
/// (the cluster has stopped making progress: waiting longer would only hide that) or, in any case, after
/// <see cref="Cap"/>. A fixed total instead cut off thousands of requests that were settling steadily.
/// The final reads and each wait for something one-way to arrive are given <see cref="Idle"/> each.
/// </summary>
public sealed record SettlingPatience(TimeSpan Idle, TimeSpan Cap)
{
    /// <summary>Where a progress line goes every <see cref="ReportEvery"/> (null: nowhere, as in the short CI mode).</summary>
    public TextWriter? Progress { get; init; }

    public TimeSpan ReportEvery { get; init; } = TimeSpan.FromSeconds(15);
}
