using Spectre.Console;

namespace Keel.Cli.Output;

/// <summary>The Spectre console for stdout: colours on a terminal, plain text and a wide fixed width when piped.</summary>
internal static class Terminal
{
    public static IAnsiConsole Create(bool interactive)
    {
        var piped = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = piped || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 } ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = piped ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });

        // Piped output has no width to detect; a wide one keeps table rows on one line for grep.
        if (piped)
        {
            console.Profile.Width = 240;
        }

        return console;
    }
}
