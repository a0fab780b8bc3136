using Keel.Server.Introspection;

namespace Keel.Server.Query;

/// <summary>
/// Where one query's rows come from. The storage snapshot is taken on first use and only once, so
/// every table a query fills reads the same moment; disposing releases it.
/// </summary>
internal sealed class QuerySources(
    Func<IIntrospectionSnapshot> openSnapshot,
    Func<IReadOnlyList<ServiceRow>> services,
    Func<IReadOnlyList<DeploymentRow>> deployments) : IDisposable
{
    private IIntrospectionSnapshot? _snapshot;

    public IIntrospectionSnapshot Snapshot => _snapshot ??= openSnapshot();

    public IReadOnlyList<ServiceRow> Services() => services();

    public IReadOnlyList<DeploymentRow> Deployments() => deployments();

    public void Dispose()
    {
        _snapshot?.Dispose();
        _snapshot = null;
    }
}
