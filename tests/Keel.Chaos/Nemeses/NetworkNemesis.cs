using Keel.Chaos.History;
using Keel.Chaos.Network;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// A fault on a network link through <see cref="TcpProxy"/>s (server → endpoint, node → PostgreSQL, or every
/// port of a node as the other nodes reach it; all the link's proxies get the same fault): new
/// connections dropped, every chunk delayed (0.1–1.5 s), open streams reset mid-way, or a blackhole that reads
/// and forwards nothing; the seeded random source picks which. The heal lets traffic flow again and resets the
/// streams a blackhole broke.
/// </summary>
public sealed class NetworkNemesis(string link, params TcpProxy[] proxies) : INemesis
{
    private static readonly ProxyFault[] Faults = [ProxyFault.DropNewConnections, ProxyFault.Delay, ProxyFault.Reset, ProxyFault.Blackhole];

    public string Name => $"network {link}";

    public Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(history);
        var fault = Faults[random.Next(Faults.Length)];
        var delay = TimeSpan.FromMilliseconds(random.Next(100, 1500));
        history.Nemesis("fault", $"{link} {fault}");
        foreach (var proxy in proxies)
        {
            proxy.Inject(fault, delay);
        }

        return Task.CompletedTask;
    }

    public Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (proxies.Any(p => p.Fault != ProxyFault.None))
        {
            foreach (var proxy in proxies)
            {
                proxy.Heal();
            }

            history.Nemesis("heal", link);
        }

        return Task.CompletedTask;
    }
}
