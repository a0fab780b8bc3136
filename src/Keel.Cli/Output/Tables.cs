using Spectre.Console;
using Spectre.Console.Rendering;

namespace Keel.Cli.Output;

/// <summary>Tables and key/value blocks for people. Cells are plain text (never markup), so ids and keys print as they are.</summary>
internal static class Tables
{
    public static void Print(IAnsiConsole console, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))));
        }

        var count = 0;
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? string.Empty)).ToArray());
            count++;
        }

        if (count == 0)
        {
            console.WriteLine("(none)");
            return;
        }

        console.Write(table);
    }

    /// <summary>"label: value" lines, labels aligned; null values are skipped.</summary>
    public static void KeyValues(IAnsiConsole console, IEnumerable<(string Label, string? Value)> pairs)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var (label, value) in pairs)
        {
            if (value is not null)
            {
                grid.AddRow(new Text(label + ":", new Style(decoration: Decoration.Bold)), new Text(value));
            }
        }

        console.Write(grid);
    }

    public static void Heading(IAnsiConsole console, string text)
    {
        console.WriteLine();
        console.Write(new Text(text, new Style(decoration: Decoration.Bold | Decoration.Underline)));
        console.WriteLine();
    }
}
