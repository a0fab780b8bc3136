using Keel.Server.Admin;
using Keel.Server.Storage;

namespace Keel.Server.Hosting;

/// <summary>
/// Where the runtime keeps its tables, as <see cref="ServerSettings.Storage"/> names it. The embedded
/// RocksDB (<see cref="EmbeddedStorage"/>) is the host's own; another backend comes with the role that
/// needs it (PostgreSQL with the cluster role), so a host without that role does not carry its driver.
/// </summary>
public abstract class StorageBackend
{
    /// <summary>The storage setting this backend serves.</summary>
    public abstract StorageKind Kind { get; }

    /// <summary>Opens the store (on a thread of its own, while the web host is built).</summary>
    public abstract IKeyValueStore Open(ServerSettings settings);

    /// <summary>Opens the schema registry next to the tables.</summary>
    /// <exception cref="KeelServerStartException">It cannot be opened; the message says why.</exception>
    public abstract SchemaRegistry OpenSchemaRegistry(ServerSettings settings, ILogger logger);

    /// <summary>The storage in words for messages, never with a password.</summary>
    public abstract string Describe(ServerSettings settings);

    /// <summary>True when <paramref name="e"/> is this backend's way of saying it cannot be used (a driver's own exception type).</summary>
    public virtual bool IsUnavailable(Exception e) => false;

    /// <summary>Starts the runtime on the opened store; by default this node serves every partition.</summary>
    public virtual Task StartRuntimeAsync(IKeyValueStore store, KeelRuntime runtime, ServerSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.StartAsync(store);
    }
}
