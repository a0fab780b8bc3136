using System.Diagnostics;
using Keel.Server.Postgres;
using Keel.Server.Storage;
using Npgsql;

namespace Keel.Server.Hosting;

/// <summary>Opens the storage backend the settings name.</summary>
internal static class StorageOpener
{
    /// <summary>Opens the store; <see cref="StorageUnavailableException"/> says which storage and why when it cannot.</summary>
    public static (IKeyValueStore Store, TimeSpan OpenedIn) Open(ServerSettings settings)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            IKeyValueStore store = settings.Storage switch
            {
                StorageKind.Postgres => PostgresStore.Open(settings.PostgresConnectionString!, stalledTransactionLimit: settings.LeaseTime),
                _ => KeelRuntime.OpenStore(settings.DataDirectory),
            };
            return (store, watch.Elapsed);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException
            or NpgsqlException or ArgumentException)
        {
            throw new StorageUnavailableException($"cannot open {Describe(settings)}: {e.Message}", e);
        }
    }

    /// <summary>The storage in words for messages, never with a password.</summary>
    public static string Describe(ServerSettings settings)
    {
        if (settings.Storage != StorageKind.Postgres)
        {
            return $"the data directory {Path.GetFullPath(settings.DataDirectory)}";
        }

        try
        {
            var connection = new NpgsqlConnectionStringBuilder(settings.PostgresConnectionString);
            return $"the PostgreSQL database {connection.Database ?? connection.Username} on {connection.Host}:{connection.Port}";
        }
        catch (ArgumentException)
        {
            return "the PostgreSQL database (the connection string is malformed)";
        }
    }
}

/// <summary>The storage the settings name cannot be opened.</summary>
internal sealed class StorageUnavailableException(string message, Exception inner) : Exception(message, inner);
