using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// kill -9 of a cluster's PostgreSQL (its postmaster: every session cut at once, no clean shutdown); the heal
/// starts it again on the same data directory and port, where it recovers from its WAL. The nodes must ride it
/// out: fail what they cannot do meanwhile, lose nothing that was acknowledged.
/// </summary>
public sealed class KillPostgresNemesis(PostgresServer postgres) : INemesis
{
    private bool _down;

    public string Name => "kill postgres";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        history.Nemesis("kill", "postgres");
        await postgres.KillAsync();
        _down = true;
        history.Nemesis("killed", "postgres");
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_down)
        {
            return;
        }

        history.Nemesis("start", "postgres");
        await postgres.RestartAsync();
        _down = false;
        history.Nemesis("started", "postgres");
    }
}
