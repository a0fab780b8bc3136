namespace Keel.Cli;

/// <summary>
/// A failure to report as one line on stderr with an exit code: what the user or the server got wrong.
/// Anything that is not a <see cref="CliException"/> still ends as one line (no stack traces), with <see cref="ExitCodes.Failure"/>.
/// </summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>A bad argument or option value: the command line is wrong, not the server.</summary>
    public static CliException Usage(string message) => new(message, ExitCodes.Usage);
}

/// <summary>The exit codes documented in docs/cli.md.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The server refused or could not be reached, something was not found, or some of several actions failed.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, a malformed id, duration or target, a missing --yes.</summary>
    public const int Usage = 2;
}
