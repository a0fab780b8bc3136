using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// What a heal does for a server that a fault may have stopped on its own (a refused commit, a full disk): waits
/// until it either answers its health check or has exited — a server in the middle of stopping is neither — and
/// starts it again in the second case, as a supervisor would.
/// </summary>
internal static class ServerRecovery
{
    public static async Task RestartIfStoppedAsync(KeelServerProcess server, OpHistory history, string name = "server")
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.UntilAsync(async () => server.HasExited || (await http.GetAsync(new Uri(server.AdminUrl, "/health"))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), $"the {name} to answer its health check or stop");
        if (server.HasExited)
        {
            history.Nemesis("start", name);
            await server.RestartAsync();
            history.Nemesis("started", name);
        }
    }
}
