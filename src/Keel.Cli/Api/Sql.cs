namespace Keel.Cli.Api;

/// <summary>Builds SQL for <c>POST /query</c> from user input: every value goes in as an escaped string literal.</summary>
internal static class Sql
{
    /// <summary>'text' with single quotes doubled, so a key or name cannot end the literal.</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>(a, b, c) of literals, for IN.</summary>
    public static string List(IEnumerable<string> values) => "(" + string.Join(", ", values.Select(Literal)) + ")";
}
