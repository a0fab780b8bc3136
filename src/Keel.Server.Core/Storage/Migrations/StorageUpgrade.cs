using System.Diagnostics;
using System.Globalization;
using System.Text;
using Keel.Server.Storage.Migrations.Format1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Storage.Migrations;

/// <summary>
/// The storage format policy in code (described on <see cref="StorageFormat"/>): which format a store
/// holds, the registry of migration steps, and the upgrade that runs them one after the other.
/// </summary>
public static class StorageUpgrade
{
    /// <summary>Every step, format N → N + 1, in order; the last one ends at <see cref="StorageFormat.Version"/>.</summary>
    public static IReadOnlyList<IStorageMigration> Steps { get; } = [new Format1To2()];

    private static readonly byte[] FormatKey = Keys.Meta("format");
    private static readonly byte[] PartitionsKey = Keys.Meta("partitions");

    /// <summary>
    /// The format of the data in <paramref name="store"/>: null for an empty store; 1 when it has a
    /// partition count but no format marker (format 1 wrote none). A marker that is not a number is refused.
    /// </summary>
    public static int? DetectFormat(IKeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (store.Get(Table.Meta, FormatKey) is { } marker)
        {
            var text = Encoding.UTF8.GetString(marker);
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var format) && format > 0
                ? format
                : throw new StorageFormatException($"This data directory's storage format marker is not a format Keel wrote ('{text}'); this server reads format {StorageFormat.Version}.");
        }

        return store.Get(Table.Meta, PartitionsKey) is null ? null : 1;
    }

    /// <summary>The partition count the data was created with (null for an empty store).</summary>
    public static int? RecordedPartitions(IKeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Get(Table.Meta, PartitionsKey) is { } p ? int.Parse(Encoding.UTF8.GetString(p), CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// Brings the store up to <see cref="StorageFormat.Version"/>, step by step; returns one report per
    /// step run (none when it was current or empty). A newer format than this build knows is refused.
    /// In a dry run nothing is written: the reports say what would change.
    /// </summary>
    public static IReadOnlyList<MigrationReport> Run(IKeyValueStore store, MigrationOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        options ??= new MigrationOptions();
        var dryRun = options.DryRun;
        logger ??= NullLogger.Instance;
        var format = DetectFormat(store);
        if (format is null || format == StorageFormat.Version)
        {
            return [];
        }

        if (format > StorageFormat.Version)
        {
            throw new StorageFormatException(
                $"This data directory holds storage format {format}, written by a newer Keel server; this server reads format {StorageFormat.Version} (and migrates older ones). " +
                "Start the newer server, or restore a backup taken before the upgrade with the build that wrote it.");
        }

        if (Steps.FirstOrDefault(s => s.From == format) is null)
        {
            throw new StorageFormatException($"This data directory holds storage format {format}; this server can migrate formats {Steps[0].From} to {StorageFormat.Version - 1} only.");
        }

        var map = new PartitionMap(RecordedPartitions(store) ?? 1);
        var reports = new List<MigrationReport>();
        for (var current = format.Value; current < StorageFormat.Version; current++)
        {
            var step = Steps.Single(s => s.From == current);
            var report = new MigrationReport(current, current + 1, dryRun);
            logger.LogWarning("Storage format {From} -> {To}{DryRun}: {Description} (an interrupted migration continues where it stopped)",
                current, current + 1, dryRun ? " (dry run)" : string.Empty, step.Description);
            var watch = Stopwatch.StartNew();
            var writer = new MigrationWriter(store, report, options.BatchSize, options.HoldAfterBatches)
            {
                Committed = batches =>
                {
                    if (batches % 100 == 0)
                    {
                        logger.LogInformation("Storage format {From} -> {To}: {Batches} batches written", current, current + 1, batches);
                    }
                },
            };
            step.Run(store, map, writer);
            report.Elapsed = watch.Elapsed;
            logger.LogWarning("Storage {Report}", report.ToString());
            reports.Add(report);
            if (dryRun)
            {
                // The next step would read what this one wrote: a dry run can only tell the first.
                break;
            }
        }

        return reports;
    }
}

/// <summary>How <see cref="StorageUpgrade.Run"/> runs.</summary>
public sealed record MigrationOptions
{
    /// <summary>Report what would change, write nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Writes per atomic batch (tests make it small to interrupt a migration between batches).</summary>
    public int BatchSize { get; init; } = MigrationWriter.DefaultBatchSize;

    /// <summary>Test hook (the kill -9 test): after this many batches the migration stops and waits to be killed.</summary>
    public int? HoldAfterBatches { get; init; }
}

/// <summary>A data directory whose storage format this server cannot read or migrate.</summary>
public sealed class StorageFormatException(string message) : InvalidOperationException(message);
