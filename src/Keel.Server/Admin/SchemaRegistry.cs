using System.Text.Json;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Admin;

/// <summary>
/// Registered deployments and their services, persisted as one JSON document in the data directory
/// (written to a temp file, fsync'd, then renamed, so a crash leaves the old or the new version).
/// The latest registration of a service wins.
/// </summary>
public sealed class SchemaRegistry : ISchemaView
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly string _path;
    private readonly Lock _gate = new();
    private volatile SchemaDocument _document;

    public SchemaRegistry(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _path = Path.Combine(dataDirectory, "schema.json");
        _document = File.Exists(_path) ? JsonSerializer.Deserialize<SchemaDocument>(File.ReadAllText(_path), Json) ?? new() : new();
    }

    public sealed record SchemaDocument
    {
        public List<DeploymentInfo> Deployments { get; init; } = [];
        public Dictionary<string, ServiceInfo> Services { get; init; } = [];
    }

    public IReadOnlyList<DeploymentInfo> Deployments
    {
        get { lock (_gate) { return [.. _document.Deployments]; } }
    }

    public IReadOnlyList<ServiceInfo> Services
    {
        get { lock (_gate) { return [.. _document.Services.Values.OrderBy(s => s.Name, StringComparer.Ordinal)]; } }
    }

    // Lookups read the current document without a lock: a document is never changed, only replaced.
    public bool TryGetService(string service, out ServiceInfo info) => new SchemaSnapshot(_document).TryGetService(service, out info);

    public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo) =>
        new SchemaSnapshot(_document).TryGetHandler(service, handler, out serviceInfo, out handlerInfo);

    public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment) => new SchemaSnapshot(_document).TryGetDeployment(deploymentId, out deployment);

    public ISchemaView Snapshot() => new SchemaSnapshot(_document);

    /// <summary>One version of the schema, unchanged while a partition applies a batch.</summary>
    private sealed class SchemaSnapshot(SchemaDocument document) : ISchemaView
    {
        public bool TryGetService(string service, out ServiceInfo info) => document.Services.TryGetValue(service, out info!);

        public bool TryGetHandler(string service, string handler, out ServiceInfo serviceInfo, out HandlerInfo handlerInfo)
        {
            handlerInfo = null!;
            return TryGetService(service, out serviceInfo) && serviceInfo.Handlers.TryGetValue(handler, out handlerInfo!);
        }

        public bool TryGetDeployment(string deploymentId, out DeploymentInfo deployment)
        {
            deployment = document.Deployments.FirstOrDefault(d => d.Id == deploymentId)!;
            return deployment is not null;
        }

        public ISchemaView Snapshot() => this;
    }

    /// <summary>Adds (or replaces, same URI) a deployment with its services; returns whether anything changed.</summary>
    public bool Register(DeploymentInfo deployment, IReadOnlyList<ServiceInfo> services)
    {
        lock (_gate)
        {
            var existing = _document.Deployments.FirstOrDefault(d => d.Uri == deployment.Uri);
            var unchanged = existing is not null && services.All(s => _document.Services.TryGetValue(s.Name, out var known)
                && known.DeploymentId == existing.Id && known.Handlers.Keys.Order().SequenceEqual(s.Handlers.Keys.Order()));
            if (unchanged)
            {
                return false;
            }

            var next = new SchemaDocument
            {
                Deployments = [.. _document.Deployments.Where(d => d.Uri != deployment.Uri), deployment],
                Services = new Dictionary<string, ServiceInfo>(_document.Services),
            };
            foreach (var service in services)
            {
                var revision = next.Services.TryGetValue(service.Name, out var old) ? old.Revision + 1 : 1;
                next.Services[service.Name] = service with { DeploymentId = deployment.Id, Revision = revision };
            }

            Persist(next);
            _document = next;
            return true;
        }
    }

    public DeploymentInfo? FindByUri(Uri uri)
    {
        lock (_gate)
        {
            return _document.Deployments.FirstOrDefault(d => d.Uri == uri);
        }
    }

    private void Persist(SchemaDocument document)
    {
        var temp = _path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, document, Json);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, _path, overwrite: true);
    }

    /// <summary>Turns a discovered manifest into service entries, normalising handler kinds; throws <see cref="ManifestException"/>.</summary>
    public static List<ServiceInfo> ServicesOf(EndpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Services.Select(s => new ServiceInfo(
            s.Name, s.Ty, string.Empty,
            s.Handlers.ToDictionary(h => h.Name, h => new HandlerInfo(h.Name, ManifestValidator.KindOf(s.Ty, h), h.Input, h.Output, h.IngressPrivate != true,
                Ms(h.InactivityTimeout), Ms(h.AbortTimeout), h.EnableLazyState, RetryPolicySettings.FromManifest(h),
                Ms(h.IdempotencyRetention), Ms(h.JournalRetention), Ms(h.WorkflowCompletionRetention))),
            0,
            s.IngressPrivate != true,
            Ms(s.IdempotencyRetention),
            Ms(s.Handlers.FirstOrDefault(h => h.WorkflowCompletionRetention is not null)?.WorkflowCompletionRetention),
            Ms(s.InactivityTimeout),
            Ms(s.AbortTimeout),
            s.EnableLazyState == true,
            RetryPolicySettings.FromManifest(s),
            Ms(s.JournalRetention))).ToList();
    }

    private static TimeSpan? Ms(long? milliseconds) => milliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
}
