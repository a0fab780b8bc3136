namespace Keel.Server.Query;

/// <summary>
/// A query that cannot be answered, with the HTTP status to answer instead: 400 when the SQL is at
/// fault (syntax, unknown table or column), 500 when the engine failed running it.
/// </summary>
public sealed class QueryException : Exception
{
    public QueryException()
        : this(500, "The query failed.")
    {
    }

    public QueryException(string message)
        : this(500, message)
    {
    }

    public QueryException(string message, Exception innerException)
        : base(message, innerException)
    {
        StatusCode = 500;
    }

    public QueryException(int statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }
}
