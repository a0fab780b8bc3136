using Keel.Server.Introspection;

namespace Keel.Server.Query;

/// <summary>
/// Where one query's rows come from. The storage snapshot is taken on first use and only once, so
/// every table a query fills reads the same moment; disposing releases it.
/// </summary>
internal sealed class QuerySources(
    Func<IIntrospectionSnapshot> openSnapshot,
    Func<IReadOnlyList<ServiceRow>> services,
    Func<IReadOnlyList<DeploymentRow>> deployments,
    Func<IReadOnlyList<DeadlockRow>> deadlocks) : IDisposable
{
    private IIntrospectionSnapshot? _snapshot;

    public IIntrospectionSnapshot Snapshot => _snapshot ??= openSnapshot();

    public IReadOnlyList<ServiceRow> Services() => services();

    public IReadOnlyList<DeploymentRow> Deployments() => deployments();

    public IReadOnlyList<DeadlockRow> Deadlocks() => deadlocks();

    /// <summary>The ids loaded into a table whose ids another table's filter needs (<see cref="LoadFilter.IdsLoadedInto"/>), by table.</summary>
    public Dictionary<string, IReadOnlySet<string>> LoadedIds { get; } = new(StringComparer.Ordinal);

    public void Dispose()
    {
        _snapshot?.Dispose();
        _snapshot = null;
    }
}
