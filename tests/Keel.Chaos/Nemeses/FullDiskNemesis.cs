using Keel.Chaos.Disk;
using Keel.Chaos.History;
using Keel.TestSupport;

namespace Keel.Chaos.Nemeses;

/// <summary>
/// A real full disk: the server's database directory is a small tmpfs (<see cref="TmpfsMount"/>) and the fault fills
/// it with a ballast file. What the server then does depends on when its store next needs a block: commits go on
/// in space already allocated, or fail, stopping the server (crash-only). The heal deletes the ballast and starts
/// the server again if it stopped; nothing acknowledged may be missing then.
/// </summary>
public sealed class FullDiskNemesis(KeelServerProcess server, TmpfsMount disk) : INemesis
{
    private string? _ballast;

    public string Name => "full disk";

    public Task FaultAsync(Random random, OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        history.Nemesis("fault", "disk full");
        _ballast = disk.Fill();
        return Task.CompletedTask;
    }

    public async Task HealAsync(OpHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_ballast is null)
        {
            return;
        }

        File.Delete(_ballast);
        _ballast = null;
        history.Nemesis("heal", "disk space freed");
        await ServerRecovery.RestartIfStoppedAsync(server, history);
    }
}
