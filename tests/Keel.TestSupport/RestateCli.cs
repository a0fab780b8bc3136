using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Keel.TestSupport;

/// <summary>One run of the `restate` CLI: its arguments, exit code and output (ANSI escapes removed).</summary>
public sealed record CliResult(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>For a failed run: the HTTP exchanges of the same command run again with -vvv (which request failed how).</summary>
    public string Diagnostics { get; init; } = string.Empty;

    /// <summary>Throws <see cref="RestateCliException"/> unless the CLI exited with 0.</summary>
    public CliResult EnsureSuccess() => Succeeded ? this : throw new RestateCliException(this);

    public override string ToString() =>
        $"restate {string.Join(' ', Arguments)} exited with {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}"
        + (Diagnostics.Length > 0 ? $"\n--- HTTP exchanges (run again with -vvv) ---\n{Diagnostics}" : string.Empty);
}

/// <summary>The CLI failed: a test must stop there (not retry), with the CLI's own words in the message.</summary>
public sealed class RestateCliException : Exception
{
    public RestateCliException(CliResult result)
        : base(result?.ToString())
    {
        Result = result;
    }

    public CliResult? Result { get; }
}

/// <summary>
/// Runs the official `restate` CLI (npm @restatedev/restate) against one admin URL, non-interactively: no TTY (stdin is
/// closed), no colours, a fresh HOME so no CLI config or environment file applies, and a timeout. Commands that ask
/// for confirmation need <c>--yes</c> (without a TTY the CLI answers "no" itself).
/// Every run passes <c>--table-style borders</c>: tables then have explicit cell separators, which
/// <see cref="CliOutput"/> parses.
/// </summary>
public sealed partial class RestateCli : IDisposable
{
    private static readonly string[] InheritedVariablesToDrop =
        ["RESTATE_HOST", "RESTATE_AUTH_TOKEN", "RESTATE_ENVIRONMENT", "RESTATE_CLI_CONFIG_HOME", "RESTATE_ADMIN_URL", "CI"];

    private readonly string _home = Directory.CreateTempSubdirectory("keel-restate-cli-").FullName;

    public RestateCli(Uri adminUrl)
    {
        AdminUrl = adminUrl;
    }

    public Uri AdminUrl { get; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Passed as <c>RESTATE_AUTH_TOKEN</c>, which the CLI sends as <c>Authorization: Bearer</c>; none by default.</summary>
    public string? AuthToken { get; init; }

    public Task<CliResult> RunAsync(params string[] arguments) => RunAsync((IEnumerable<string>)arguments);

    /// <summary>
    /// Runs the CLI. When it fails, runs the same command again with -vvv and keeps the CLI's own log of its HTTP
    /// requests and responses in <see cref="CliResult.Diagnostics"/>: the CLI's error messages do not say which call
    /// failed. (The test has failed by then; repeating the command cannot hide anything.)
    /// </summary>
    public async Task<CliResult> RunAsync(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var args = arguments.ToList();
        var result = await RunOnceAsync(args);
        if (result.Succeeded)
        {
            return result;
        }

        var verbose = await RunOnceAsync(["-vvv", .. args]);
        var exchanges = verbose.Stderr.Split('\n')
            .Where(l => l.Contains("restate_cli::clients", StringComparison.Ordinal) || l.Contains("Failed to parse", StringComparison.Ordinal))
            .Select(l => LogPrefix().Replace(l, string.Empty))
            .Select(l => l.Length > 600 ? l[..600] + " …" : l);
        var distinct = new List<string>();
        foreach (var line in exchanges)
        {
            if (distinct.Count == 0 || distinct[^1] != line)
            {
                distinct.Add(line);
            }
        }

        return result with { Diagnostics = string.Join('\n', distinct) };
    }

    private async Task<CliResult> RunOnceAsync(List<string> args)
    {
        var start = new ProcessStartInfo(RepoPaths.RestateCliBinary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("--table-style");
        start.ArgumentList.Add("borders");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var name in InheritedVariablesToDrop)
        {
            start.Environment.Remove(name);
        }

        start.Environment["RESTATE_ADMIN_URL"] = AdminUrl.ToString();
        if (AuthToken is not null)
        {
            start.Environment["RESTATE_AUTH_TOKEN"] = AuthToken;
        }

        start.Environment["HOME"] = _home;
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(_home, ".config");
        start.Environment["NO_COLOR"] = "1";
        start.Environment["CLICOLOR"] = "0";
        start.Environment["TERM"] = "dumb";

        using var process = new Process { StartInfo = start };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"restate {string.Join(' ', args)} did not finish within {Timeout}:\n{CliOutput.StripAnsi(await stdout)}\n{CliOutput.StripAnsi(await stderr)}");
        }

        return new CliResult(args, process.ExitCode, CliOutput.StripAnsi(await stdout), CliOutput.StripAnsi(await stderr));
    }

    [GeneratedRegex(@"^\S+Z\s+(TRACE|DEBUG|INFO|WARN|ERROR)\s+")]
    private static partial Regex LogPrefix();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind is harmless.
        }
    }
}
