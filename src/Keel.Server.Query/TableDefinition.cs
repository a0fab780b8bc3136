using System.Text;
using DuckDB.NET.Data;

namespace Keel.Server.Query;

/// <summary>An introspection table as DuckDB sees it: a name, typed columns and the DDL that creates it.</summary>
internal interface ITableDefinition
{
    string Name { get; }

    IReadOnlyList<(string Name, string SqlType)> ColumnTypes { get; }

    string CreateStatement { get; }
}

/// <summary>
/// A table filled from rows of <typeparamref name="TRow"/>; <see cref="Include"/> picks the rows it
/// holds when it shares its source with other tables (the invocation status and state tables do).
/// </summary>
internal sealed class TableDefinition<TRow> : ITableDefinition
{
    private readonly ColumnDefinition<TRow>[] _columns;

    public TableDefinition(string name, Func<TRow, bool>? include, params ColumnDefinition<TRow>[] columns)
    {
        Name = name;
        Include = include;
        _columns = columns;
        ColumnTypes = [.. columns.Select(c => (c.Name, c.SqlType))];
        var ddl = new StringBuilder().Append("CREATE TABLE ").Append(Quote(name)).Append(" (");
        for (var i = 0; i < columns.Length; i++)
        {
            ddl.Append(i == 0 ? "" : ", ").Append(Quote(columns[i].Name)).Append(' ').Append(columns[i].SqlType);
        }

        CreateStatement = ddl.Append(')').ToString();
    }

    public string Name { get; }

    public Func<TRow, bool>? Include { get; }

    public IReadOnlyList<(string Name, string SqlType)> ColumnTypes { get; }

    public string CreateStatement { get; }

    /// <summary>Appends one row (all columns, in order).</summary>
    public void Append(DuckDBAppender appender, TRow row)
    {
        var target = appender.CreateRow();
        foreach (var column in _columns)
        {
            column.Append(target, row);
        }

        target.EndRow();
    }

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
