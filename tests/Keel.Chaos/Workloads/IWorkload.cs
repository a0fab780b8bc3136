using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>
/// Clients driving services while faults happen, then the checks of what they recorded. Each workload owns
/// its keys, so several share one history.
/// </summary>
public interface IWorkload
{
    string Name { get; }

    /// <summary>Runs the clients, each one operation at a time, until <paramref name="stop"/>; calls in flight finish (or time out).</summary>
    Task RunAsync(OpHistory history, CancellationToken stop);

    /// <summary>After the heal: settles what can be settled (retries of indeterminate operations) and reads the final state.</summary>
    Task FinishAsync(OpHistory history, SettlingPatience patience);

    /// <summary>Whether an operation on <paramref name="key"/> is this workload's (for per-workload figures).</summary>
    bool Owns(string? key);

    /// <summary>The checkers' verdicts on this workload's operations (the others' are ignored).</summary>
    IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations);
}
