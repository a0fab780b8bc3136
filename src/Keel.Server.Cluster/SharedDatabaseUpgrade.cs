using Keel.Server.Postgres;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;

namespace Keel.Server.Cluster;

/// <summary>
/// A storage format migration on a database several nodes share. Nodes of the older build would read
/// the new format wrongly (or stop), so a node whose build must migrate refuses to start while any
/// other node has been alive within a lease time: a release that changes the storage format is
/// upgraded by stopping every node, then starting the new build. Releases that keep the format roll
/// node by node. Nodes starting together take turns (an advisory lock): the first migrates, the
/// others find the current format.
/// </summary>
internal static partial class SharedDatabaseUpgrade
{
    private const long LockKey = 7314202;

    /// <exception cref="InvalidOperationException">Other nodes still run on the older format.</exception>
    public static void Prepare(PostgresStore store, string node, TimeSpan leaseTime, ILogger logger)
    {
        if (!NeedsMigration(store))
        {
            return;
        }

        using var turn = AdvisoryLock.Take(store, LockKey);
        if (!NeedsMigration(store))
        {
            return;
        }

        var view = new LeaseTable(store).Read();
        var alive = view.Members.Where(m => m.Node != node && m.HeartbeatAt > view.Now - leaseTime).Select(m => m.Node).ToList();
        if (alive.Count > 0)
        {
            throw new InvalidOperationException(
                $"The database holds storage format {StorageUpgrade.DetectFormat(store)} and this build must migrate it to format {StorageFormat.Version}, " +
                $"but {string.Join(", ", alive)} still run on it (alive within the last {leaseTime.TotalSeconds:0} s). " +
                "A release that changes the storage format is not rolled node by node: stop every node, then start this build (the first node to start migrates).");
        }

        LogMigrating(logger, node);
        StorageUpgrade.Run(store, logger: logger);
    }

    private static bool NeedsMigration(IKeyValueStore store) => StorageUpgrade.DetectFormat(store) is { } format && format < StorageFormat.Version;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} migrates the shared database's storage format; no other node is alive")]
    private static partial void LogMigrating(ILogger logger, string node);
}
