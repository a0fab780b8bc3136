namespace Keel.Server.Storage.Migrations;

/// <summary>
/// One step of the storage format policy (see <see cref="StorageFormat"/>): rewrites a data directory of
/// format <see cref="From"/> into format <see cref="From"/> + 1, in place.
/// </summary>
/// <remarks>
/// A step must be safe to interrupt at any point (kill -9) and to run again from the start: every write
/// batch it makes is atomic and durable (<see cref="MigrationWriter"/>), each batch converts whole
/// records (the old entry deleted, the new one written, together), records already in the new shape are
/// recognised and skipped, and the new format marker is written in the step's last batch only. Until
/// that batch the directory still reads as format <see cref="From"/>, so the next start runs the step again
/// and finishes what is left.
/// </remarks>
public interface IStorageMigration
{
    /// <summary>The format this step reads; it writes <c>From + 1</c>.</summary>
    int From { get; }

    /// <summary>What the step changes, in one line, for the log and <c>keel-server migrate</c>.</summary>
    string Description { get; }

    /// <summary>Runs the step on <paramref name="writer"/>'s store; in a dry run the writer writes nothing.</summary>
    void Run(IKeyValueStore store, PartitionMap map, MigrationWriter writer);
}
