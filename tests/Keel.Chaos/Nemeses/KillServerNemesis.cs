using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// kill -9 of a server process (a crash: no shutdown, nothing flushed that was not already synced); the heal
/// starts it again on the same data directory and ports and waits until it answers its health checks.
/// </summary>
public sealed class KillServerNemesis(IServerProcess server, string name = "server") : INemesis
{
    private bool _down;

    public string Name => $"kill {name}";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        history.Nemesis("kill", name);
        await server.KillAsync();
        _down = true;
        history.Nemesis("killed", name);
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_down)
        {
            return;
        }

        history.Nemesis("start", name);
        await server.RestartAsync();
        _down = false;
        history.Nemesis("started", name);
    }
}
