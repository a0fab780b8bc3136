using System.CommandLine;
using System.Text.Json;

namespace Keel.Cli.Commands;

/// <summary>Runs a command's body with a <see cref="CliContext"/>, turning every failure into one stderr line and an exit code.</summary>
internal static class CommandAction
{
    public static void Set(Command command, Func<CliContext, Task<int>> body) =>
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                using var context = new CliContext(parse, ct);
                return await body(context);
            }
            catch (CliException e)
            {
                return Fail(e.Message, e.ExitCode);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Fail("interrupted", ExitCodes.Failure);
            }
            catch (JsonException e)
            {
                return Fail($"the server's answer is not the JSON expected: {e.Message}", ExitCodes.Failure);
            }
#pragma warning disable CA1031 // The last resort: no stack trace reaches the user, only the message.
            catch (Exception e)
#pragma warning restore CA1031
            {
                return Fail($"{e.GetType().Name}: {e.Message}", ExitCodes.Failure);
            }
        });

    /// <summary>Sets the body of a command that always succeeds when it returns.</summary>
    public static void Set(Command command, Func<CliContext, Task> body) =>
        Set(command, async context =>
        {
            await body(context);
            return ExitCodes.Ok;
        });

    private static int Fail(string message, int code)
    {
        // One line, whatever the server's message looks like (SQL errors come with a caret diagram).
        var oneLine = string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Console.Error.WriteLine($"error: {oneLine}");
        return code;
    }
}
