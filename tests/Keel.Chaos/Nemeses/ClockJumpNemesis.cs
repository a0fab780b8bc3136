using System.Globalization;
using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// A wall-clock jump across a restart: kill -9 of the server, then a start whose clock (the testing seam
/// <c>KEEL_TEST_CLOCK_OFFSET</c>) is shifted from the one before, forward by 1–20 minutes or back by 1–5 seconds.
/// Timers stored as wall times must fire once each: early after a jump forward, late after one back, never lost
/// and never twice. Jumps back stay short so a timer set just before one is late by seconds, not by the
/// campaign's length; jumps forward add up to hours at most, well within retention and idempotency windows.
/// </summary>
public sealed class ClockJumpNemesis(KeelServerProcess server, string name = "server") : INemesis
{
    public const string Seam = "KEEL_TEST_CLOCK_OFFSET";

    /// <summary>How far the server's clock is from the machine's now.</summary>
    public TimeSpan Offset { get; private set; }

    public string Name => $"clock jump {name}";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(history);
        var jump = random.Next(2) == 0 ? TimeSpan.FromSeconds(random.Next(60, 1200)) : -TimeSpan.FromSeconds(random.Next(1, 6));
        Offset += jump;
        history.Nemesis("kill", name);
        await server.KillAsync();
        history.Nemesis("fault", $"clock {(jump > TimeSpan.Zero ? "forward" : "back")}");
        var seconds = ((long)Offset.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        await server.RestartAsync(options => options with { Environment = new Dictionary<string, string>(options.Environment) { [Seam] = seconds } });
        history.Nemesis("started", $"{name} with its clock at {seconds}");
    }

    /// <summary>Nothing to undo: the clock stays where it jumped (a jump back to the machine's time would be one more jump).</summary>
    public Task HealAsync(OpHistory history) => Task.CompletedTask;
}
