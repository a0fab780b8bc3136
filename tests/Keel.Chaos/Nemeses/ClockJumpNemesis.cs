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

    /// <summary>
    /// Restart at the heal rather than at the fault: where another fault may strike at the same time (a broken link
    /// to the database, say), a start that waits to be healthy during the fault would wait for a heal that comes only
    /// after it. Off: the server runs on its moved clock through the fault window.
    /// </summary>
    public bool RestartAtHeal { get; init; }

    private string? _pendingOffset;

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
        if (RestartAtHeal)
        {
            _pendingOffset = seconds;
            return;
        }

        await StartAsync(seconds, history);
    }

    /// <summary>
    /// Starts the server on its moved clock if the fault left that to the heal; the clock stays where it jumped (a
    /// jump back to the machine's time would be one more jump).
    /// </summary>
    public async Task HealAsync(OpHistory history)
    {
        if (_pendingOffset is not { } seconds)
        {
            return;
        }

        _pendingOffset = null;
        // Another nemesis's heal may have started it meanwhile, on the old clock: the jump needs a start of its own.
        if (!server.HasExited)
        {
            await server.KillAsync();
        }

        await StartAsync(seconds, history);
    }

    private async Task StartAsync(string seconds, OpHistory history)
    {
        await server.RestartAsync(options => options with { Environment = new Dictionary<string, string>(options.Environment) { [Seam] = seconds } });
        history.Nemesis("started", $"{name} with its clock at {seconds}");
    }
}
