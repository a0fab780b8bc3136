using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// SIGSTOP of a server process (a long GC pause, a VM stall: the sockets stay open, nothing answers); the heal
/// sends SIGCONT and the process runs on as if no time had passed. Clients' calls in the meantime time out and
/// become indeterminate.
/// </summary>
public sealed class PauseServerNemesis(KeelServerProcess server, string name = "server") : INemesis
{
    private bool _paused;

    public string Name => $"pause {name}";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (server.HasExited)
        {
            return;
        }

        history.Nemesis("pause", name);
        await server.PauseAsync();
        _paused = true;
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_paused)
        {
            return;
        }

        await server.ResumeAsync();
        _paused = false;
        history.Nemesis("resume", name);
    }
}
