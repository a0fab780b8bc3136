using System.Diagnostics;

namespace Keel.Chaos.Disk;

/// <summary>
/// A size-limited tmpfs mounted on a directory (<c>mount -t tmpfs -o size=…</c>): a real filesystem that runs
/// out of space, for the full-disk nemesis. Mounting needs root (CI runs as root); <see cref="TryMountAsync"/>
/// says why when the machine refuses. Disposing unmounts it (lazily, in case a killed process still held a file).
/// </summary>
public sealed class TmpfsMount : IAsyncDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="megabytes"/> MiB on <paramref name="path"/> (created if missing); null and the reason when refused.</summary>
    public static async Task<(TmpfsMount? Mount, string? Refusal)> TryMountAsync(string path, int megabytes)
    {
        Directory.CreateDirectory(path);
        var (code, output) = await RunAsync("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path]);
        return code == 0 ? (new TmpfsMount(path), null) : (null, $"mount -t tmpfs failed ({code}): {output.Trim()}");
    }

    /// <summary>
    /// Fills the filesystem with a ballast file until a write fails with "no space left"; returns the ballast's
    /// path. Random bytes, so nothing on the way can make them smaller.
    /// </summary>
    public string Fill()
    {
        var ballast = System.IO.Path.Combine(Path, $"ballast-{Guid.NewGuid():N}");
        var chunk = new byte[256 * 1024];
        Random.Shared.NextBytes(chunk);
        using var file = new FileStream(ballast, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        try
        {
            while (true)
            {
                file.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full. Smaller writes take the last free pages too.
        }

        try
        {
            while (true)
            {
                file.Write(chunk, 0, 512);
            }
        }
        catch (IOException)
        {
            // Full to the last block.
        }

        return ballast;
    }

    /// <summary>Bytes free on the filesystem now.</summary>
    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    public async ValueTask DisposeAsync() => await RunAsync("umount", ["-l", Path]);

    private static async Task<(int Code, string Output)> RunAsync(string tool, string[] args)
    {
        var start = new ProcessStartInfo(tool, args) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        try
        {
            using var process = Process.Start(start)!;
            var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{tool} cannot run: {e.Message}");
        }
    }
}
