using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>Several nemeses as one: each fault is one of them, picked by the seeded random source; a heal heals every one.</summary>
public sealed class CompositeNemesis(params INemesis[] nemeses) : INemesis
{
    public string Name => string.Join(" | ", nemeses.Select(n => n.Name));

    public Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        return nemeses[random.Next(nemeses.Length)].FaultAsync(random, history);
    }

    public async Task HealAsync(OpHistory history)
    {
        foreach (var nemesis in nemeses)
        {
            await nemesis.HealAsync(history);
        }
    }
}
