using System.Text.Json.Nodes;
using Keel.Server.Admin;
using Keel.Server.Partitions;

namespace Keel.Server.Hosting;

/// <summary>
/// An optional part of the server that its embedder plugs into <see cref="KeelServerHost"/>
/// (<see cref="KeelServerHostOptions.Roles"/>): SQL introspection, the cluster on PostgreSQL, telemetry
/// export. Ingress, the admin API, the invoker and the embedded storage are always there; the roles
/// with heavy dependencies (DuckDB, Npgsql, OpenTelemetry's exporters) live in their own assemblies so
/// an in-process server (Keel.Testing) does not carry them.
/// <para>
/// One instance serves one server start: it may keep per-server state (an engine, a cluster handle)
/// and is disposed with the server. Every hook has a default that does nothing.
/// </para>
/// </summary>
public abstract class ServerRole : IAsyncDisposable
{
    /// <summary>A storage backend other than the embedded one (selected by <see cref="ServerSettings.Storage"/>), or null.</summary>
    public virtual StorageBackend? Storage => null;

    /// <summary>True when the role answers <c>POST /query</c>; without one, the server says SQL is not part of it.</summary>
    public virtual bool AnswersSql => false;

    /// <summary>Before the web host is built: services, logging, telemetry.</summary>
    public virtual void ConfigureBuilder(WebApplicationBuilder builder, ServerSettings settings)
    {
    }

    /// <summary>The partition processors' settings, as this role needs them.</summary>
    public virtual ProcessorOptions ConfigureProcessor(ProcessorOptions options, ServerSettings settings) => options;

    /// <summary>Whether the server opens its internal listener (node-to-node traffic) for this role.</summary>
    public virtual bool NeedsInternalListener(ServerSettings settings) => false;

    /// <summary>
    /// Middleware and endpoints, added after the start gate and the runtime's error mapping, before
    /// ingress and admin. Endpoints go on the context's routes of the listener they belong to.
    /// </summary>
    public virtual void Map(WebApplication app, ServerRoleContext context)
    {
    }

    /// <summary>What the role adds to the admin API's <c>/health</c>, or null.</summary>
    public virtual JsonObject? HealthDetails() => null;

    /// <summary>Called after the HTTP server stopped taking requests and before the partitions stop.</summary>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}

/// <summary>What a role's endpoints work with.</summary>
/// <param name="Settings">The server's settings.</param>
/// <param name="Runtime">The runtime core (it serves once the start completes; endpoints wait at the start gate until then).</param>
/// <param name="Schema">The schema registry: deployments and services.</param>
public sealed record ServerRoleContext(ServerSettings Settings, KeelRuntime Runtime, SchemaRegistry Schema)
{
    /// <summary>Routes that answer on the ingress listener only.</summary>
    public required IEndpointRouteBuilder IngressRoutes { get; init; }

    /// <summary>Routes that answer on the admin listener only (behind its Host, token and content-type checks).</summary>
    public required IEndpointRouteBuilder AdminRoutes { get; init; }

    /// <summary>Routes that answer on the internal listener only (opened when a role needs it).</summary>
    public required IEndpointRouteBuilder InternalRoutes { get; init; }
}
