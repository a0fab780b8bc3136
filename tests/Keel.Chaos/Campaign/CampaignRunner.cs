using System.Diagnostics;
using Keel.Chaos.History;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;

namespace Keel.Chaos.Campaign;

/// <summary>
/// One campaign: the workloads' clients run for <see cref="Duration"/> while the nemesis schedule injects and
/// heals faults; then everything is healed, the workloads settle and read the final state, and every checker
/// judges the one shared history.
/// </summary>
public sealed class CampaignRunner(int seed, IReadOnlyList<IWorkload> workloads, NemesisSchedule schedule)
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long the settling after the heal may go on (retries of indeterminate operations, final reads).</summary>
    public SettlingPatience Patience { get; init; } = new(Idle: TimeSpan.FromSeconds(30), Cap: TimeSpan.FromSeconds(90));

    /// <summary>
    /// When set, the faults stop as soon as it says the history (and the schedule's fault count) is enough, checked
    /// every second; <see cref="Duration"/> is then the cap (the long runs: so many operations, so many faults).
    /// </summary>
    public Func<OpHistory, bool>? Enough { get; init; }

    public async Task<CampaignReport> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var history = new OpHistory();
        using var stop = new CancellationTokenSource(Duration);
        var watch = Enough is null ? Task.CompletedTask : WatchAsync(history, Enough, stop);
        await Task.WhenAll(workloads.Select(w => w.RunAsync(history, stop.Token)).Append(schedule.RunAsync(history, stop.Token)));
        await watch;
        history.Nemesis("healed");

        // All at once: one after another, the last workloads got what patience the first ones had left.
        await Task.WhenAll(workloads.Select(w => Task.Run(() => w.FinishAsync(history, Patience))));

        // From "healed" to here: how long the system took to complete what was accepted and answer the final reads.
        history.Nemesis("settled");

        var ops = history.Ops;
        var operations = Operations.Pair(ops);
        var results = workloads.SelectMany(w => w.Check(operations)).ToList();
        return new CampaignReport(seed, ops, results, schedule.Faults, clock.Elapsed);
    }

    private static async Task WatchAsync(OpHistory history, Func<OpHistory, bool> enough, CancellationTokenSource stop)
    {
        using var tick = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (!stop.IsCancellationRequested && await tick.WaitForNextTickAsync(CancellationToken.None))
        {
            if (enough(history))
            {
                await stop.CancelAsync();
            }
        }
    }
}
