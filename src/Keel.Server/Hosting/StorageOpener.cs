using System.Diagnostics;
using Keel.Server.Storage;

namespace Keel.Server.Hosting;

/// <summary>Chooses and opens the storage backend the settings name.</summary>
internal static class StorageOpener
{
    /// <summary>The backend for the settings: the embedded one, or the one a role brings.</summary>
    /// <exception cref="KeelServerStartException">No role of this server brings that storage.</exception>
    public static StorageBackend Choose(ServerSettings settings, IEnumerable<ServerRole> roles)
    {
        if (settings.Storage == StorageKind.RocksDb)
        {
            return EmbeddedStorage.Instance;
        }

        return roles.Select(r => r.Storage).FirstOrDefault(s => s?.Kind == settings.Storage)
            ?? throw new KeelServerStartException(
                $"storage '{settings.Storage.ToString().ToLowerInvariant()}' is not part of this server (it comes with the cluster role: run keel-server, or host Keel.Server.Full)");
    }

    /// <summary>Opens the store; <see cref="StorageUnavailableException"/> says which storage and why when it cannot.</summary>
    public static (IKeyValueStore Store, TimeSpan OpenedIn) Open(StorageBackend backend, ServerSettings settings)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            var store = backend.Open(settings);
            // The testing seam (never on by default): commits fail or slow down as a control file says. The
            // embedded store only: a cluster hands each partition a fenced store of its own.
            return (settings.TestStoreFaultsFile is { } faults && backend.Kind == StorageKind.RocksDb ? new TestSeams.FaultInjectingStore(store, faults) : store, watch.Elapsed);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException
            || backend.IsUnavailable(e))
        {
            throw new StorageUnavailableException($"cannot open {backend.Describe(settings)}: {e.Message}", e);
        }
    }
}

/// <summary>The storage the settings name cannot be opened.</summary>
internal sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
