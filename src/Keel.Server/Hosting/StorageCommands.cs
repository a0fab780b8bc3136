using System.Globalization;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;

namespace Keel.Server.Hosting;

/// <summary>
/// <c>keel-server migrate</c> and <c>keel-server backup</c>: offline maintenance of an embedded (RocksDB)
/// data directory. Both open the database themselves, so they refuse a directory a running server holds
/// (RocksDB's lock): stop the server first. docs/server.md, "Upgrading".
/// </summary>
public static class StorageCommands
{
    /// <summary>The command names, as the first argument.</summary>
    public static bool IsCommand(IReadOnlyList<string> args) => args is ["migrate", ..] or ["backup", ..];

    /// <summary>
    /// Runs the command the arguments name; the exit code: 0 done, 2 wrong usage or a directory it
    /// cannot work on. The data directory comes as the server's own does (<c>--data-dir</c>, KEEL_DATA_DIR, the config file).
    /// </summary>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(environment);
        var command = args[0];
        var rest = args.Skip(1).ToList();
        var dryRun = rest.Remove("--dry-run");
        string? to = null;
        var toAt = rest.IndexOf("--to");
        if (toAt >= 0)
        {
            if (toAt + 1 >= rest.Count)
            {
                error.WriteLine("keel-server backup: --to needs a directory.");
                return 2;
            }

            to = rest[toAt + 1];
            rest.RemoveRange(toAt, 2);
        }

        try
        {
            var settings = ServerSettings.Load([.. rest], environment);
            if (settings.Storage != StorageKind.RocksDb)
            {
                error.WriteLine($"keel-server {command}: works on the embedded storage's data directory only; on PostgreSQL the first node of the new build to start migrates the shared database, once no other node runs (docs/server.md, 'Upgrading a cluster').");
                return 2;
            }

            return command switch
            {
                "migrate" when to is null => Migrate(settings.DataDirectory, dryRun, output, error),
                "backup" when !dryRun && to is not null => Backup(settings.DataDirectory, to, output, error),
                _ => Usage(command, error),
            };
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"keel-server {command}: {e.Message}");
            return 2;
        }
    }

    private static int Usage(string command, TextWriter error)
    {
        error.WriteLine(command == "migrate"
            ? "Usage: keel-server migrate [--data-dir DIR] [--dry-run]"
            : "Usage: keel-server backup [--data-dir DIR] --to DIR2");
        return 2;
    }

    private static int Migrate(string dataDirectory, bool dryRun, TextWriter output, TextWriter error)
    {
        if (!Directory.Exists(Path.Combine(dataDirectory, "db")))
        {
            error.WriteLine($"keel-server migrate: {dataDirectory} holds no Keel data (no db folder).");
            return 2;
        }

        // The kill -9 test stops a migration after some batches to kill it there; nobody else sets this.
        int? hold = int.TryParse(Environment.GetEnvironmentVariable("KEEL_TEST_MIGRATION_HOLD_AFTER_BATCHES"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        try
        {
            using var store = RocksDbStore.OpenDataDirectory(dataDirectory);
            var format = StorageUpgrade.DetectFormat(store);
            var reports = StorageUpgrade.Run(store, new MigrationOptions { DryRun = dryRun, HoldAfterBatches = hold });
            if (reports.Count == 0)
            {
                output.WriteLine($"{dataDirectory}: storage format {format?.ToString(CultureInfo.InvariantCulture) ?? "(empty)"}, the current one ({StorageFormat.Version}): nothing to do.");
                return 0;
            }

            foreach (var report in reports)
            {
                output.WriteLine($"{dataDirectory}: {report}");
            }

            if (dryRun && reports[^1].ToFormat < StorageFormat.Version)
            {
                output.WriteLine($"(a dry run shows the first step only; further steps up to format {StorageFormat.Version} follow it)");
            }

            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            error.WriteLine($"keel-server migrate: {dataDirectory}: {e.Message}");
            return 2;
        }
    }

    private static int Backup(string dataDirectory, string to, TextWriter output, TextWriter error)
    {
        if (!Directory.Exists(Path.Combine(dataDirectory, "db")))
        {
            error.WriteLine($"keel-server backup: {dataDirectory} holds no Keel data (no db folder).");
            return 2;
        }

        if (Directory.Exists(to) && Directory.EnumerateFileSystemEntries(to).Any())
        {
            error.WriteLine($"keel-server backup: {to} is not empty; a backup goes into a new directory.");
            return 2;
        }

        try
        {
            Directory.CreateDirectory(to);
            using (var store = RocksDbStore.OpenDataDirectory(dataDirectory))
            {
                store.Checkpoint(Path.Combine(to, "db"));
            }

            // The rest of the data directory (the schema registry's schema.json): plain files, copied.
            foreach (var file in Directory.EnumerateFiles(dataDirectory))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            output.WriteLine($"{dataDirectory}: backed up to {to} (start a server with --data-dir {to} to use it).");
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"keel-server backup: {e.Message}" + (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase)
                ? " (a running server holds this data directory: stop it first; backups are taken offline)"
                : string.Empty));
            return 2;
        }
    }
}
