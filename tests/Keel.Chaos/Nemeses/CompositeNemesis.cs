using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// Several nemeses as one: each fault is one of them, or now and then (one time in three) two of them at once
/// (the endpoint killed while the server is paused, say), picked by the seeded random source; a heal heals every one.
/// </summary>
public sealed class CompositeNemesis(params INemesis[] nemeses) : INemesis
{
    public string Name => string.Join(" | ", nemeses.Select(n => n.Name));

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        var first = random.Next(nemeses.Length);
        await nemeses[first].FaultAsync(random, history);
        if (nemeses.Length > 1 && random.Next(3) == 0)
        {
            // Another one than the first: the same fault twice would be no fault more.
            await nemeses[(first + 1 + random.Next(nemeses.Length - 1)) % nemeses.Length].FaultAsync(random, history);
        }
    }

    public async Task HealAsync(OpHistory history)
    {
        foreach (var nemesis in nemeses)
        {
            await nemesis.HealAsync(history);
        }
    }
}
