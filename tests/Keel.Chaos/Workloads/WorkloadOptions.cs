namespace Keel.Chaos.Workloads;

/// <summary>What every workload is told: where the ingress is, how many clients, how long a call may take.</summary>
public sealed record WorkloadOptions
{
    public required Uri IngressUrl { get; init; }

    public required int Seed { get; init; }

    public int Clients { get; init; } = 3;

    public int Keys { get; init; } = 2;

    /// <summary>A call not answered in this time is indeterminate.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a client pauses after a call that failed or is indeterminate, so a server that is down is not
    /// hammered by refused connections (which would fill the history with failures and say nothing new).
    /// </summary>
    public TimeSpan BackOff { get; init; } = TimeSpan.FromMilliseconds(50);
}
