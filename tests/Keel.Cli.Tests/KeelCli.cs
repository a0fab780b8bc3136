using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Cli.Tests;

/// <summary>One run of `keel`: exit code, stdout and stderr.</summary>
public sealed record KeelRun(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr)
{
    /// <summary>stdout as JSON (the run must have succeeded).</summary>
    public JsonElement Json()
    {
        Assert.True(ExitCode == 0, ToString());
        try
        {
            return JsonDocument.Parse(Stdout).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"not JSON ({e.Message}):\n{this}", e);
        }
    }

    /// <summary>The lines of stderr that are not empty.</summary>
    public IReadOnlyList<string> ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"keel {string.Join(' ', Arguments)} exited with {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// Runs the built CLI (src/Keel.Cli/bin/{configuration}/net10.0/keel.dll) with `dotnet`, non-interactively: stdin
/// closed and stdout piped (so no prompts, no colours), KEEL_* variables from the test's environment dropped and
/// <paramref name="environment"/> set instead.
/// </summary>
public sealed class KeelCli(Uri adminUrl, Uri ingressUrl, IReadOnlyDictionary<string, string>? environment = null)
{
    public static string Dll { get; } = FindDll();

    public Task<KeelRun> RunAsync(params string[] arguments)
    {
        string[] urls = arguments.Contains("--admin-url") ? ["--ingress-url", ingressUrl.ToString()]
            : ["--admin-url", adminUrl.ToString(), "--ingress-url", ingressUrl.ToString()];
        return RunBareAsync([.. urls, .. arguments], arguments, environment);
    }

    /// <summary>Runs `keel` with exactly these arguments (no server URLs added): --help, --version.</summary>
    public static Task<KeelRun> RunBareAsync(params string[] arguments) => RunBareAsync(arguments, arguments, null);

    private static async Task<KeelRun> RunBareAsync(string[] commandLine, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(Dll);
        start.Environment.Remove("KEEL_ADMIN_URL");
        start.Environment.Remove("KEEL_INGRESS_URL");
        start.Environment.Remove("KEEL_ADMIN_TOKEN");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.Environment["NO_COLOR"] = "1";
        foreach (var argument in commandLine)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"keel {string.Join(' ', arguments)} did not finish in 60 s:\n{await stdout}\n{await stderr}");
        }

        return new KeelRun(arguments, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and parses --json output (adds --json).</summary>
    public async Task<JsonElement> JsonAsync(params string[] arguments) => (await RunAsync([.. arguments, "--json"])).Json();

    private static string FindDll()
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var dll = Path.Combine(RepoPaths.Root, "src", "Keel.Cli", "bin", configuration, "net10.0", "keel.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is missing: build src/Keel.Cli first.");
    }
}
