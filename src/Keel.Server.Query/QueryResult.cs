using System.Data.Common;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace Keel.Server.Query;

/// <summary>
/// A query's computed result, ready to be read row by row. It owns the query's private database and
/// its place among the running queries: dispose it once the rows are written.
/// </summary>
public sealed class QueryResult : IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly DuckDBCommand _command;
    private readonly DuckDBDataReader _reader;
    private Action? _release;

    internal QueryResult(DuckDBConnection connection, DuckDBCommand command, DuckDBDataReader reader, Action release)
    {
        _connection = connection;
        _command = command;
        _reader = reader;
        _release = release;
        var columns = new ResultColumn[reader.FieldCount];
        for (var i = 0; i < columns.Length; i++)
        {
            var type = Enum.Parse<DuckDBType>(reader.GetDataTypeName(i));
            columns[i] = new ResultColumn(reader.GetName(i), type, ResultColumn.KindOf(type));
        }

        Columns = columns;
    }

    internal IReadOnlyList<ResultColumn> Columns { get; }

    /// <summary>The rows; positioned before the first.</summary>
    internal DbDataReader Reader => _reader;

    public void Dispose()
    {
        _reader.Dispose();
        _command.Dispose();
        _connection.Dispose();
        Interlocked.Exchange(ref _release, null)?.Invoke();
    }
}
