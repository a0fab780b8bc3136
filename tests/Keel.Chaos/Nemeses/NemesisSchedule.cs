using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// When faults happen: quiet for a random time, a fault, faulty for a random time, the heal; again until the
/// campaign stops; always healed at the end. The times come from the seeded random source, so a seed replays
/// the same schedule (the interleaving with the clients' operations still varies with the machine's timing).
/// </summary>
public sealed class NemesisSchedule(INemesis nemesis, Random random)
{
    public TimeSpan MinQuiet { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxQuiet { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan MinFaulty { get; init; } = TimeSpan.Zero;

    public TimeSpan MaxFaulty { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Faults injected so far.</summary>
    public int Faults { get; private set; }

    public async Task RunAsync(OpHistory history, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(history);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // Fixed waits are the point here: the schedule is time-based, not waiting for a condition.
                if (!await WaitAsync(Between(MinQuiet, MaxQuiet), stop))
                {
                    break;
                }

                await nemesis.FaultAsync(random, history);
                Faults++;
                await WaitAsync(Between(MinFaulty, MaxFaulty), stop);
                await nemesis.HealAsync(history);
            }
        }
        finally
        {
            await nemesis.HealAsync(history);
        }
    }

    private TimeSpan Between(TimeSpan min, TimeSpan max) => min + ((max - min) * random.NextDouble());

    /// <summary>False when the campaign stopped first.</summary>
    private static async Task<bool> WaitAsync(TimeSpan time, CancellationToken stop)
    {
        try
        {
            await Task.Delay(time, stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
