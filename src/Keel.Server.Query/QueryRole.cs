using Keel.Server.Hosting;

namespace Keel.Server.Query;

/// <summary>
/// SQL introspection as a server role: <c>POST /query</c> on the admin port, answered by a DuckDB
/// engine that reads a storage snapshot on its own threads, never inside a partition's loop.
/// </summary>
public sealed class QueryRole : ServerRole
{
    private QueryEngine? _engine;

    public override bool AnswersSql => true;

    public override void Map(WebApplication app, ServerRoleContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (_, runtime, schema) = context;
        _engine = new QueryEngine(
            runtime.OpenIntrospection,
            () => [.. schema.Services.Select(ServiceRow.From)],
            () => [.. schema.Deployments.Select(d => DeploymentRow.From(d, schema.ServicesOf(d.Id)))],
            deadlocks: () => DeadlockRow.From(runtime.Deadlocks));
        QueryEndpoints.Map(context.AdminRoutes, _engine);
    }

    public override ValueTask DisposeAsync()
    {
        _engine?.Dispose();
        return base.DisposeAsync();
    }
}
