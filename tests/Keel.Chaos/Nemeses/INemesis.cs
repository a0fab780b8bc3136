using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// A kind of fault: injected at a moment the schedule picks, healed at another. Each step is recorded in the
/// history as a nemesis event, so a dump shows which operations overlapped which fault.
/// </summary>
public interface INemesis
{
    string Name { get; }

    /// <summary>Injects one fault; <paramref name="random"/> (seeded) picks among its variants.</summary>
    Task FaultAsync(Random random, OpHistory history);

    /// <summary>Undoes whatever fault of this nemesis is in force; does nothing when none is.</summary>
    Task HealAsync(OpHistory history);
}
