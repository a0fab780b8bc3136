using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Api;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel sql "&lt;query&gt;"</c>: SQL over the server's tables (<c>POST /query</c>), as a table, JSON or CSV.</summary>
internal static class SqlCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query") { Description = "The SQL, e.g. \"SELECT id, status FROM sys_invocation\"" };
        var csv = new Option<bool>("--csv") { Description = "CSV with a header row" };
        var command = new Command("sql", "Query the server's tables (sys_invocation, sys_journal, state, …)") { query, csv };
        CommandAction.Set(command, async c =>
        {
            var rows = await c.Admin.QueryAsync(c.Get(query)!, c.Cancellation);
            if (c.Json)
            {
                JsonOut.Write(new JsonArray([.. rows.Select(r => JsonOut.Node(r))]));
                return;
            }

            // The server leaves null columns out of a row: the columns are every name seen, in first-seen order.
            var columns = rows.SelectMany(r => r.EnumerateObject().Select(p => p.Name)).Distinct().ToList();
            var cells = rows.Select(r => (IReadOnlyList<string?>)[.. columns.Select(col => r.Str(col))]).ToList();
            if (c.Get(csv))
            {
                var output = new StringBuilder();
                output.AppendLine(string.Join(',', columns.Select(Csv)));
                foreach (var row in cells)
                {
                    output.AppendLine(string.Join(',', row.Select(cell => Csv(cell ?? string.Empty))));
                }

                Console.Out.Write(output.ToString());
                return;
            }

            Tables.Print(c.Out, columns, cells);
            c.Out.WriteLine($"{rows.Count} row(s)");
        });
        return command;
    }

    private static string Csv(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
