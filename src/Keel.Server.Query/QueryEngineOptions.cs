namespace Keel.Server.Query;

/// <summary>Limits of the SQL introspection engine.</summary>
public sealed record QueryEngineOptions
{
    /// <summary>Queries that run at once; more wait their turn (default 2).</summary>
    public int MaxConcurrentQueries { get; init; } = 2;

    /// <summary>DuckDB threads per query (default 1: the partitions keep the other cores).</summary>
    public int ThreadsPerQuery { get; init; } = 1;

    /// <summary>
    /// How much lower than the server's threads a query's thread is scheduled (Linux niceness, 0 to 19;
    /// default 10, 0 keeps the same priority).
    /// </summary>
    public int Niceness { get; init; } = 10;

    /// <summary>Memory one query may use, in DuckDB's notation (default <c>512MB</c>); past it the query fails.</summary>
    public string MemoryLimit { get; init; } = "512MB";

    /// <summary>
    /// Whether simple conditions and limits of a query narrow what is loaded from storage (default
    /// true; see <see cref="LoadFilters"/>). Off, every table a query names is loaded whole.
    /// </summary>
    public bool PushDown { get; init; } = true;
}
