using Keel.Chaos.Campaign;
using Keel.Chaos.History;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// kill -9 of the services' endpoint process (a crashed deployment: invocations in flight lose their connection
/// mid-journal, the server retries them); the heal starts it again on the same port, which the server keeps
/// as the deployment's address.
/// </summary>
public sealed class KillEndpointNemesis(ChaosEndpointProcess endpoint) : INemesis
{
    private bool _down;

    public string Name => "kill endpoint";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        history.Nemesis("kill", "endpoint");
        await endpoint.KillAsync();
        _down = true;
        history.Nemesis("killed", "endpoint");
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_down)
        {
            return;
        }

        history.Nemesis("start", "endpoint");
        await endpoint.RestartAsync();
        _down = false;
        history.Nemesis("started", "endpoint");
    }
}
