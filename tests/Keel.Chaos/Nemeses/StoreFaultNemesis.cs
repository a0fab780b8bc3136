using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// Storage faults through the server's testing seam (<c>KEEL_TEST_STORE_FAULTS</c>, a control file the store
/// decorator reads on every commit): either commits fail, after which the server must stop visibly (the process
/// exits, its log names the failure: crash-only, nothing acknowledged that was not written), or every commit is
/// slow (50–500 ms, a slow fsync). The heal clears the file and starts the server again if it stopped; the
/// checkers then find out whether anything acknowledged was lost.
/// </summary>
public sealed class StoreFaultNemesis(KeelServerProcess server, string controlFile) : INemesis
{
    /// <summary>The environment variable to start the server with so that it reads <paramref name="controlFile"/>.</summary>
    public static KeyValuePair<string, string> Seam(string controlFile) => new("KEEL_TEST_STORE_FAULTS", controlFile);

    private bool _faulty;

    public string Name => "store faults";

    public async Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(history);
        if (server.HasExited)
        {
            return;
        }

        _faulty = true;
        if (random.Next(2) == 0)
        {
            var delay = random.Next(50, 500);
            history.Nemesis("fault", $"store slow-commits {delay}ms");
            await WriteAsync($"slow-commits {delay}ms");
            return;
        }

        history.Nemesis("fault", "store fail-commits");
        var logged = Refusals();
        await WriteAsync("fail-commits");
        // Crash-only: the first refused commit stops its partition and the server with it, loudly. The clients keep
        // the partitions busy, so a commit comes soon; a server still running long after is a violation.
        await Eventually.UntilAsync(() => Task.FromResult(server.HasExited), TimeSpan.FromSeconds(30),
            "the server to stop after its store refused a commit (crash-only)");
        // The log is appended to across restarts: this stop must add a line naming the refused commit.
        await Eventually.UntilAsync(() => Task.FromResult(Refusals() > logged), TimeSpan.FromSeconds(10),
            "the stopped server's log to name the refused commit");

        history.Nemesis("stopped", "server (store refused a commit)");
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (!_faulty)
        {
            return;
        }

        await WriteAsync("");
        _faulty = false;
        history.Nemesis("heal", "store");
        await ServerRecovery.RestartIfStoppedAsync(server, history);
    }

    private int Refusals() =>
        ProcessLogs.Tail(server.LogFile, int.MaxValue).Split('\n').Count(line => line.Contains("injected storage fault", StringComparison.Ordinal));

    /// <summary>Written to a temporary file and renamed over the control file, so the server never reads half of it.</summary>
    private async Task WriteAsync(string faults)
    {
        var temporary = controlFile + ".new";
        await File.WriteAllTextAsync(temporary, faults);
        File.Move(temporary, controlFile, overwrite: true);
    }
}
