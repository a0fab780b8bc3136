using System.Diagnostics;

namespace Keel.TestSupport;

/// <summary>
/// The server as the previous release built it, for upgrade tests: the source of <see cref="Commit"/>
/// taken from this repository's history (git archive, outside the work tree) and built once per
/// machine into a cache directory. Move <see cref="Commit"/> forward when a release is cut, so the
/// tests always check the step users take: from the last release to this build.
/// </summary>
public static class PreviousRelease
{
    /// <summary>The last release: main as it stood on 2026-12-06, before the upgrade work.</summary>
    public const string Commit = "7c21fa1313795dc0f1ef83bf7df492fd0cab245a";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _built;

    /// <summary>The previous release's keel-server.dll, built on first use (a few minutes) and reused afterwards.</summary>
    public static async Task<string> ServerDllAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _built ??= await BuildAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> BuildAsync()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"keel-release-{Commit[..12]}");
        var output = Path.Combine(cache, "out");
        var dll = Path.Combine(output, "keel-server.dll");
        var done = Path.Combine(cache, "built");
        Directory.CreateDirectory(cache);

        // Another test process may build the same commit at the same time: one builds, the others wait.
        await using var exclusive = await LockAsync(Path.Combine(cache, "lock"));
        if (File.Exists(done) && File.Exists(dll))
        {
            return dll;
        }

        var source = Path.Combine(cache, "src");
        if (Directory.Exists(source))
        {
            Directory.Delete(source, recursive: true);
        }

        Directory.CreateDirectory(source);
        await RunAsync("git", ["-C", RepoPaths.Root, "cat-file", "-e", $"{Commit}^{{commit}}"], RepoPaths.Root,
            $"commit {Commit} (the previous release) is not in this clone's history; upgrade tests need a clone with history, not a shallow one");
        await RunAsync("sh", ["-c", $"git -C '{RepoPaths.Root}' archive {Commit} | tar -x -C '{source}'"], RepoPaths.Root, "git archive of the previous release failed");
        await RunAsync("dotnet", ["build", Path.Combine(source, "src", "Keel.Server.Tool"), "-c", "Release", "-o", output, "-p:TreatWarningsAsErrors=false"], source,
            "building the previous release failed");
        await File.WriteAllTextAsync(done, Commit);
        return dll;
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(500))
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromMinutes(15))
            {
                // Held by another process building the same release.
            }
        }
    }

    private static async Task RunAsync(string file, string[] args, string directory, string failure)
    {
        var start = new ProcessStartInfo(file, args) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            var log = (await stdout + await stderr).Split('\n').TakeLast(40);
            throw new InvalidOperationException($"{failure} (exit {process.ExitCode}):\n{string.Join('\n', log)}");
        }
    }
}
