using System.Globalization;
using DuckDB.NET.Data;
using Keel.Server.Introspection;

namespace Keel.Server.Query;

/// <summary>
/// Answers SQL over the server's tables with an embedded DuckDB. Each query gets a private in-memory
/// database: every introspection table is created, the ones its SQL names are filled from one storage
/// snapshot (so they agree with each other), and then the SQL runs. The database uses one thread and a
/// memory limit, cannot touch files, and lives until the result is written. Queries beyond
/// <see cref="QueryEngineOptions.MaxConcurrentQueries"/> wait their turn, so introspection never takes
/// the CPU the partitions and ingress need.
/// </summary>
public sealed class QueryEngine : IDisposable
{
    /// <summary>Message prefixes of DuckDB errors that mean the SQL itself is wrong (answered with 400).</summary>
    private static readonly string[] QueryErrorPrefixes =
    [
        "Parser Error", "Syntax Error", "Binder Error", "Catalog Error", "Not implemented Error",
        "Permission Error", "Invalid Input Error", "Parameter Not Resolved Error", "Parameter Not Allowed Error",
        // Values the query itself computes wrongly (a cast that cannot be, a number out of its type's range).
        "Conversion Error", "Out of Range Error", "Mismatch Type Error", "Decimal Error", "Invalid type Error",
    ];

    private readonly Func<IIntrospectionSnapshot> _snapshot;
    private readonly Func<IReadOnlyList<ServiceRow>> _services;
    private readonly Func<IReadOnlyList<DeploymentRow>> _deployments;
    private readonly Func<IReadOnlyList<DeadlockRow>> _deadlocks;
    private readonly SemaphoreSlim _slots;
    private readonly string _connectionString;
    private readonly int _niceness;
    private readonly bool _pushDown;

    public QueryEngine(
        Func<IIntrospectionSnapshot> snapshot,
        Func<IReadOnlyList<ServiceRow>> services,
        Func<IReadOnlyList<DeploymentRow>> deployments,
        QueryEngineOptions? options = null,
        Func<IReadOnlyList<DeadlockRow>>? deadlocks = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(deployments);
        options ??= new QueryEngineOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentQueries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ThreadsPerQuery, 1);
        _snapshot = snapshot;
        _services = services;
        _deployments = deployments;
        _deadlocks = deadlocks ?? (() => []);
        _slots = new SemaphoreSlim(options.MaxConcurrentQueries, options.MaxConcurrentQueries);
        _niceness = Math.Clamp(options.Niceness, 0, 19);
        _pushDown = options.PushDown;

        // Settings fixed when the database opens: its thread pool never grows past the limit and it loads
        // no extension. (File access is switched off right after opening, see Run.)
        _connectionString = string.Create(CultureInfo.InvariantCulture,
            $"DataSource=:memory:;threads={options.ThreadsPerQuery};memory_limit={options.MemoryLimit};autoload_known_extensions=false;autoinstall_known_extensions=false");
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (written for Restate, see <see cref="SqlDialect"/>) and returns its
    /// computed rows; dispose the result once they are written.
    /// </summary>
    /// <exception cref="QueryException">The SQL is wrong (400) or the engine failed (500).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<QueryResult> ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        var prepared = SqlDialect.Prepare(sql);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A thread of its own, at a lower priority: loading and running block, and must hold no
            // thread-pool thread meanwhile. (With one DuckDB thread, DuckDB works on this thread only.)
            return await Task.Factory.StartNew(
                () => Run(prepared, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public void Dispose() => _slots.Dispose();

    private QueryResult Run(PreparedSql prepared, CancellationToken cancellationToken)
    {
        QueryThreadPriority.TryLower(_niceness);
        var connection = new DuckDBConnection(_connectionString);
        DuckDBCommand? command = null;
        DuckDBDataReader? reader = null;
        try
        {
            connection.Open();
            // Nothing spilled to disk (past the memory limit a query fails), then no file access at all:
            // no reading or writing files, no attaching databases, no installing extensions.
            Execute(connection, "SET temp_directory = ''; SET enable_external_access = false");
            Execute(connection, IntrospectionCatalog.CreateScript);
            Load(connection, IntrospectionCatalog.TablesToFill(prepared.Names), _pushDown ? prepared.Filters : [], cancellationToken);
            Execute(connection, "SET lock_configuration = true");

            command = connection.CreateCommand();
            command.CommandText = prepared.Text;
            // DuckDB forgets an interrupt that arrives before the statement starts running, so a
            // cancellation keeps interrupting until the statement has returned.
            using var running = new CancellationTokenSource();
            var registration = cancellationToken.Register(() => _ = InterruptUntilDoneAsync(command, running.Token));
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                reader = command.ExecuteReader();
            }
            finally
            {
                // Disposing the registration waits for a callback under way: none starts afterwards.
                registration.Dispose();
                running.Cancel();
            }

            return new QueryResult(connection, command, reader, () => _slots.Release());
        }
        catch (Exception e)
        {
            reader?.Dispose();
            command?.Dispose();
            connection.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            if (e is DuckDBException duck)
            {
                var bad = QueryErrorPrefixes.Any(p => duck.Message.StartsWith(p, StringComparison.Ordinal));
                throw new QueryException(bad ? 400 : 500, duck.Message, duck);
            }

            throw;
        }
    }

    private static async Task InterruptUntilDoneAsync(DuckDBCommand command, CancellationToken done)
    {
        try
        {
            while (!done.IsCancellationRequested)
            {
                command.Cancel();
                await Task.Delay(TimeSpan.FromMilliseconds(20), done).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The statement returned: nothing left to interrupt.
        }
        catch (ObjectDisposedException)
        {
            // Disposed as the statement returned.
        }
    }

    private void Load(DuckDBConnection connection, IReadOnlySet<string> tables, IReadOnlyList<LoadFilter> filters, CancellationToken cancellationToken)
    {
        if (tables.Count == 0)
        {
            return;
        }

        using var sources = new QuerySources(_snapshot, _services, _deployments, _deadlocks);
        // In catalog order: the invocation tables before the journal, whose filter may take its ids from them.
        foreach (var source in IntrospectionCatalog.Sources)
        {
            source.Fill(connection, sources, tables, filters, cancellationToken);
        }
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
