using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// Several nemeses taking turns, one fault at a time, in an order the seeded random source shuffles afresh each
/// round: with as many faults as nemeses, every kind has struck once — what a short run needs to cover each of
/// them (<see cref="CompositeNemesis"/> picks at random, and sometimes two at once). The heal heals every one.
/// </summary>
public sealed class EachInTurnNemesis(params INemesis[] nemeses) : INemesis
{
    private readonly Queue<INemesis> _round = new();

    public string Name => string.Join(" → ", nemeses.Select(n => n.Name));

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (_round.Count == 0)
        {
            foreach (var nemesis in nemeses.OrderBy(_ => random.Next()))
            {
                _round.Enqueue(nemesis);
            }
        }

        await _round.Dequeue().FaultAsync(random, history);
    }

    public async Task HealAsync(OpHistory history)
    {
        foreach (var nemesis in nemeses)
        {
            await nemesis.HealAsync(history);
        }
    }
}
