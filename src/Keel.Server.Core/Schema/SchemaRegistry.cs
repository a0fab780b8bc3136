using System.Text.Json;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Keel.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Admin;

/// <summary>How a registration ended.</summary>
public enum RegistrationResult
{
    /// <summary>A new deployment.</summary>
    Created,

    /// <summary>A deployment with the same address existed and was kept as it is (no force).</summary>
    Unchanged,

    /// <summary>A deployment with the same address existed and was replaced in place, keeping its id (force).</summary>
    Overwritten,
}

/// <summary>The outcome of a registration: the deployment and its services as registered (or as they would be, for a dry run).</summary>
public sealed record Registration(RegistrationResult Result, DeploymentInfo Deployment, IReadOnlyList<ServiceInfo> Services);

/// <summary>What a <c>PATCH /services/{name}</c> changes; null members stay as they are.</summary>
public sealed record ServiceChanges(
    bool? Public = null,
    TimeSpan? IdempotencyRetention = null,
    TimeSpan? WorkflowCompletionRetention = null,
    TimeSpan? JournalRetention = null,
    TimeSpan? InactivityTimeout = null,
    TimeSpan? AbortTimeout = null,
    DeadlockPolicy? Deadlock = null)
{
    public bool IsEmpty => this == new ServiceChanges();
}

public enum ModifyOutcome
{
    Modified,
    NotFound,

    /// <summary>A workflow completion retention was given for a service that is not a workflow.</summary>
    NotAWorkflow,
}

/// <summary>
/// Registered deployments, each with its own revision of the services it serves, and the active
/// revision of every service (the one new invocations use: the highest revision of any deployment).
/// Kept as one document in an <see cref="ISchemaDocumentStore"/>: <c>schema.json</c> in the data
/// directory, or a row in the database that every node of a cluster shares. A document is never
/// changed, only replaced, so readers need no lock and never wait for the store. Changes are
/// computed from the latest stored version and saved only if nobody saved since (see
/// <see cref="SchemaRegistry.Mutate{T}"/>); on a shared store, changes made by other nodes arrive by
/// a poll of the version and, for a name not found, by a refresh before answering.
/// </summary>
public sealed partial class SchemaRegistry : ISchemaView, IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly ISchemaDocumentStore _store;

    /// <summary>One change at a time from this process; other processes are kept out by the store's compare-and-swap.</summary>
    private readonly Lock _gate = new();
    private volatile Current _current;

    public SchemaRegistry(string dataDirectory)
        : this(new FileSchemaDocumentStore(dataDirectory))
    {
    }

    /// <summary>
    /// A registry on <paramref name="store"/>, which it owns; a shared store is polled for changes every
    /// <paramref name="pollInterval"/> (500 ms by default), and <paramref name="logger"/> hears when the poll cannot read it.
    /// </summary>
    public SchemaRegistry(ISchemaDocumentStore store, TimeSpan? pollInterval = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _logger = logger;
        _current = Read(store.Load());
        if (_current.Document.Deployments.Any(d => !DeploymentIds.TryParse(d.Id, out _)))
        {
            Mutate(document => document.Deployments.Any(d => !DeploymentIds.TryParse(d.Id, out _)) ? (RenameDeployments(document), true) : (null, false));
        }

        if (store.IsShared)
        {
            _polling = PollAsync(pollInterval ?? DefaultPollInterval, _stopPolling.Token);
        }
    }

    /// <summary>A document and the store version it was read or saved as.</summary>
    private sealed record Current(SchemaDocument Document, long Version);

    private static Current Read(StoredDocument stored)
    {
        var loaded = stored.Content is null ? new SchemaDocument() : JsonSerializer.Deserialize<SchemaDocument>(stored.Content, Json) ?? new();
        return new Current(loaded.Revisions is null ? Upgrade(loaded) : loaded, stored.Version);
    }

    public sealed record SchemaDocument
    {
        public List<DeploymentInfo> Deployments { get; init; } = [];

        /// <summary>The active revision of each service, by name (derived from <see cref="Revisions"/>).</summary>
        public Dictionary<string, ServiceInfo> Services { get; init; } = [];

        /// <summary>Each deployment's own services, by deployment id then service name. Absent in documents written before it existed.</summary>
        public Dictionary<string, Dictionary<string, ServiceInfo>>? Revisions { get; init; }

        /// <summary>Deployment ids of earlier Keel versions and the Restate-format ids that replaced them; the old ones still resolve.</summary>
        public Dictionary<string, string>? Aliases { get; init; }
    }

    /// <summary>
    /// Gives deployments whose ids are not in Restate's format (earlier Keel versions wrote <c>dp_</c> and
    /// 22 digits without the scheme version) a Restate-format id, derived from the old one when it can
    /// be decoded, and keeps the old id as an alias: invocations pinned to it keep their deployment.
    /// </summary>
    private static SchemaDocument RenameDeployments(SchemaDocument document)
    {
        var aliases = new Dictionary<string, string>(document.Aliases ?? [], StringComparer.Ordinal);
        var renames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var deployment in document.Deployments.Where(d => !DeploymentIds.TryParse(d.Id, out _)))
        {
            var renamed = deployment.Id.Length == 25 && deployment.Id.StartsWith("dp_", StringComparison.Ordinal)
                && Protocol.Ids.Base62.TryDecode(deployment.Id.AsSpan(3), out var value) && value >> 80 != 0
                ? DeploymentIds.Format(value)
                : DeploymentIds.New(deployment.CreatedAt);
            renames[deployment.Id] = renamed;
        }

        foreach (var (old, renamed) in renames)
        {
            aliases[old] = renamed;
        }

        string Rename(string id) => renames.GetValueOrDefault(id, id);
        var revisions = document.Revisions!.ToDictionary(
            r => Rename(r.Key),
            r => r.Value.ToDictionary(s => s.Key, s => s.Value with { DeploymentId = Rename(s.Value.DeploymentId) }, StringComparer.Ordinal),
            StringComparer.Ordinal);
        List<DeploymentInfo> deployments = [.. document.Deployments.Select(d => d with { Id = Rename(d.Id) })];
        return new SchemaDocument { Deployments = deployments, Revisions = revisions, Services = ActiveIndex(deployments, revisions), Aliases = aliases };
    }

    /// <summary>A document of an older server had only the active revisions: those are what each deployment serves.</summary>
    private static SchemaDocument Upgrade(SchemaDocument old)
    {
        var revisions = old.Deployments.ToDictionary(d => d.Id, _ => new Dictionary<string, ServiceInfo>());
        foreach (var service in old.Services.Values)
        {
            if (revisions.TryGetValue(service.DeploymentId, out var own))
            {
                own[service.Name] = service;
            }
        }

        return old with { Revisions = revisions, Services = ActiveIndex(old.Deployments, revisions) };
    }

    public IReadOnlyList<DeploymentInfo> Deployments => [.. _current.Document.Deployments];

    /// <summary>The active revision of every service, by name.</summary>
    public IReadOnlyList<ServiceInfo> Services => [.. _current.Document.Services.Values.OrderBy(s => s.Name, StringComparer.Ordinal)];

    /// <summary>The services of one deployment as it registered them (a draining deployment keeps its older revisions).</summary>
    public IReadOnlyList<ServiceInfo> ServicesOf(string deploymentId) => RevisionsOf(_current.Document, deploymentId);

    private static List<ServiceInfo> RevisionsOf(SchemaDocument document, string deploymentId) =>
        document.Revisions!.TryGetValue(deploymentId, out var own) ? [.. own.Values.OrderBy(s => s.Name, StringComparer.Ordinal)] : [];

    // A name not found may have been registered on another node since the last poll: one refresh
    // (rate-limited, see RefreshOnMiss) before answering that it does not exist.
    public bool TryGetService(string service, out ServiceInfo info) =>
        new SchemaSnapshot(_current.Document).TryGetService(service, out info)
        || (RefreshOnMiss() && new SchemaSnapshot(_current.Document).TryGetService(service, out info));

    public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo) =>
        new SchemaSnapshot(_current.Document).TryGetHandler(service, handler, out serviceInfo, out handlerInfo)
        || (RefreshOnMiss() && new SchemaSnapshot(_current.Document).TryGetHandler(service, handler, out serviceInfo, out handlerInfo));

    public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment) =>
        new SchemaSnapshot(_current.Document).TryGetDeployment(deploymentId, out deployment)
        || (RefreshOnMiss() && new SchemaSnapshot(_current.Document).TryGetDeployment(deploymentId, out deployment));

    public ISchemaView Snapshot() => new SchemaSnapshot(_current.Document, this);

    /// <summary>
    /// One version of the schema, unchanged while a partition applies a batch, except for names it lacks: those are
    /// looked up in <paramref name="registry"/> (the latest document, read again from a shared store on a miss). A
    /// hand-over in the batch may call a service another node registered since this node last read the schema.
    /// </summary>
    private sealed class SchemaSnapshot(SchemaDocument document, SchemaRegistry? registry = null) : ISchemaView
    {
        public bool TryGetService(string service, out ServiceInfo info) =>
            document.Services.TryGetValue(service, out info!) || (registry is not null && registry.TryGetService(service, out info));

        public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo)
        {
            handlerInfo = null!;
            return (document.Services.TryGetValue(service, out serviceInfo!) && serviceInfo.Handlers.TryGetValue(handler, out handlerInfo!))
                || (registry is not null && registry.TryGetHandler(service, handler, out serviceInfo, out handlerInfo));
        }

        public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment)
        {
            var id = document.Aliases?.GetValueOrDefault(deploymentId) ?? deploymentId;
            deployment = document.Deployments.FirstOrDefault(d => d.Id == id)!;
            return deployment is not null || (registry is not null && registry.TryGetDeployment(deploymentId, out deployment));
        }

        public ISchemaView Snapshot() => this;
    }

    /// <summary>
    /// The deployment registered at the same address: same host, port and path (the scheme and the
    /// additional headers do not count), the most recent one if there are several.
    /// </summary>
    public DeploymentInfo? FindByAddress(Uri uri) => FindByAddress(_current.Document, uri);

    private static DeploymentInfo? FindByAddress(SchemaDocument document, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return document.Deployments
            .Where(d => string.Equals(d.Uri.Authority, uri.Authority, StringComparison.OrdinalIgnoreCase) && d.Uri.AbsolutePath == uri.AbsolutePath)
            .MaxBy(d => d.CreatedAt);
    }

    /// <summary>The deployment with this id and its own services, if it is registered.</summary>
    public (DeploymentInfo Deployment, IReadOnlyList<ServiceInfo> Services)? GetDeployment(string deploymentId) =>
        GetDeployment(_current.Document, deploymentId) ?? (RefreshOnMiss() ? GetDeployment(_current.Document, deploymentId) : null);

    private static (DeploymentInfo Deployment, IReadOnlyList<ServiceInfo> Services)? GetDeployment(SchemaDocument document, string deploymentId)
    {
        var id = document.Aliases?.GetValueOrDefault(deploymentId) ?? deploymentId;
        var deployment = document.Deployments.FirstOrDefault(d => d.Id == id);
        return deployment is null ? null : (deployment, RevisionsOf(document, id));
    }

    /// <summary>
    /// Registers <paramref name="proposed"/> with the services of its manifest. A deployment already
    /// registered at the same address is kept as it is (<see cref="RegistrationResult.Unchanged"/>),
    /// or with <paramref name="overwrite"/> replaced in place under its id. Each service gets the
    /// next revision, taken from its manifest only: settings an operator changed on the previous
    /// revision do not carry over. A service that changes its type (service, object, workflow) is
    /// refused with 409 unless <paramref name="allowBreaking"/>. A dry run computes the answer and
    /// changes nothing.
    /// </summary>
    /// <exception cref="ManifestException">A breaking change was not allowed.</exception>
    public Registration Register(DeploymentInfo proposed, IReadOnlyList<ServiceInfo> services, bool overwrite, bool allowBreaking, bool dryRun)
    {
        ArgumentNullException.ThrowIfNull(proposed);
        ArgumentNullException.ThrowIfNull(services);
        return Mutate(current =>
        {
            var existing = FindByAddress(current, proposed.Uri);
            if (existing is not null && !overwrite)
            {
                return (null, new Registration(RegistrationResult.Unchanged, existing, RevisionsOf(current, existing.Id)));
            }

            var deployment = proposed with { Id = existing?.Id ?? proposed.Id };
            var own = new Dictionary<string, ServiceInfo>(StringComparer.Ordinal);
            foreach (var service in services)
            {
                current.Services.TryGetValue(service.Name, out var previous);
                if (previous is not null && previous.Type != service.Type && !allowBreaking && !overwrite)
                {
                    throw new ManifestException(
                        $"Service '{service.Name}' would change its type from {previous.Type} to {service.Type}. The type of a service cannot change between revisions: "
                        + "its existing invocations and state assume the old type. Register with breaking (restate CLI: --breaking) or force to accept the change anyway.",
                        409, "META0006");
                }

                own[service.Name] = service with { DeploymentId = deployment.Id, Revision = (previous?.Revision ?? 0) + 1 };
            }

            var revisions = new Dictionary<string, Dictionary<string, ServiceInfo>>(current.Revisions!) { [deployment.Id] = own };
            List<DeploymentInfo> deployments = [.. current.Deployments.Where(d => d.Id != deployment.Id), deployment];
            var result = existing is null ? RegistrationResult.Created : RegistrationResult.Overwritten;
            var next = dryRun ? null : new SchemaDocument { Deployments = deployments, Revisions = revisions, Services = ActiveIndex(deployments, revisions), Aliases = current.Aliases };
            return (next, new Registration(result, deployment, [.. own.Values.OrderBy(s => s.Name, StringComparer.Ordinal)]));
        });
    }

    /// <summary>
    /// Applies an operator's changes to the active revision of <paramref name="service"/>; nothing
    /// changes unless the outcome is <see cref="ModifyOutcome.Modified"/>.
    /// </summary>
    public ModifyOutcome Modify(string service, ServiceChanges changes, out ServiceInfo updated)
    {
        ArgumentNullException.ThrowIfNull(changes);
        (var outcome, updated) = Mutate<(ModifyOutcome, ServiceInfo)>(current =>
        {
            if (!current.Services.TryGetValue(service, out var found))
            {
                return (null, (ModifyOutcome.NotFound, null!));
            }

            if (changes.WorkflowCompletionRetention is not null && found.Type != ServiceType.Workflow)
            {
                return (null, (ModifyOutcome.NotAWorkflow, found));
            }

            if (changes.IsEmpty)
            {
                return (null, (ModifyOutcome.Modified, found));
            }

            var changed = found with
            {
                Public = changes.Public ?? found.Public,
                IdempotencyRetention = changes.IdempotencyRetention ?? found.IdempotencyRetention,
                WorkflowCompletionRetention = changes.WorkflowCompletionRetention ?? found.WorkflowCompletionRetention,
                JournalRetention = changes.JournalRetention ?? found.JournalRetention,
                InactivityTimeout = changes.InactivityTimeout ?? found.InactivityTimeout,
                AbortTimeout = changes.AbortTimeout ?? found.AbortTimeout,
                Deadlock = changes.Deadlock ?? found.Deadlock,
            };
            var revisions = new Dictionary<string, Dictionary<string, ServiceInfo>>(current.Revisions!);
            if (revisions.TryGetValue(changed.DeploymentId, out var own))
            {
                revisions[changed.DeploymentId] = new Dictionary<string, ServiceInfo>(own) { [service] = changed };
            }

            var next = new SchemaDocument
            {
                Deployments = current.Deployments,
                Revisions = revisions,
                Services = new Dictionary<string, ServiceInfo>(current.Services) { [service] = changed },
                Aliases = current.Aliases,
            };
            return (next, (ModifyOutcome.Modified, changed));
        });
        return outcome;
    }

    /// <summary>
    /// Forgets a deployment and its revisions. A service it served as the active revision falls back to
    /// the highest revision another deployment still serves, or disappears. Invocations pinned to it
    /// can no longer run. False if there is no such deployment.
    /// </summary>
    public bool RemoveDeployment(string deploymentId)
    {
        return Mutate(current =>
        {
            var id = current.Aliases?.GetValueOrDefault(deploymentId) ?? deploymentId;
            if (current.Deployments.All(d => d.Id != id))
            {
                return (null, false);
            }

            List<DeploymentInfo> deployments = [.. current.Deployments.Where(d => d.Id != id)];
            var revisions = new Dictionary<string, Dictionary<string, ServiceInfo>>(current.Revisions!);
            revisions.Remove(id);
            return (new SchemaDocument { Deployments = deployments, Revisions = revisions, Services = ActiveIndex(deployments, revisions), Aliases = current.Aliases }, true);
        });
    }

    /// <summary>For each service name, the highest revision any deployment serves (the later deployment on a tie).</summary>
    private static Dictionary<string, ServiceInfo> ActiveIndex(IEnumerable<DeploymentInfo> deployments, Dictionary<string, Dictionary<string, ServiceInfo>> revisions)
    {
        var active = new Dictionary<string, ServiceInfo>(StringComparer.Ordinal);
        foreach (var deployment in deployments)
        {
            if (!revisions.TryGetValue(deployment.Id, out var own))
            {
                continue;
            }

            foreach (var service in own.Values)
            {
                if (!active.TryGetValue(service.Name, out var known) || known.Revision <= service.Revision)
                {
                    active[service.Name] = service;
                }
            }
        }

        return active;
    }

    /// <summary>Turns a validated manifest into service entries (revision 0, no deployment yet), normalising handler kinds.</summary>
    /// <exception cref="ManifestException">A handler kind does not fit its service type.</exception>
    public static List<ServiceInfo> ServicesFromManifest(EndpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Services.Select(s => new ServiceInfo(
            s.Name, s.Ty, string.Empty,
            s.Handlers.ToDictionary(h => h.Name, h => new HandlerInfo(h.Name, ManifestValidator.KindOf(s.Ty, h), h.Input, h.Output, h.IngressPrivate != true,
                Ms(h.InactivityTimeout), Ms(h.AbortTimeout), h.EnableLazyState, RetryPolicySettings.FromManifest(h),
                Ms(h.IdempotencyRetention), Ms(h.JournalRetention), Ms(h.WorkflowCompletionRetention), h.Documentation, NonEmpty(h.Metadata))),
            0,
            s.IngressPrivate != true,
            Ms(s.IdempotencyRetention),
            Ms(s.Handlers.FirstOrDefault(h => h.WorkflowCompletionRetention is not null)?.WorkflowCompletionRetention),
            Ms(s.InactivityTimeout),
            Ms(s.AbortTimeout),
            s.EnableLazyState == true,
            RetryPolicySettings.FromManifest(s),
            Ms(s.JournalRetention),
            s.Documentation,
            NonEmpty(s.Metadata))).ToList();
    }

    private static IReadOnlyDictionary<string, string>? NonEmpty(IReadOnlyDictionary<string, string>? metadata) => metadata is { Count: > 0 } ? metadata : null;

    private static TimeSpan? Ms(long? milliseconds) => milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
}
