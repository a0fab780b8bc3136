using System.Diagnostics;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Core.Tests.Storage.Migrations;
using Keel.Server.Hosting;
using Keel.Server.Model;
using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;

namespace Keel.Server.Tests.Storage;

/// <summary><c>keel-server migrate</c> and <c>keel-server backup</c>, in-process, and a migration killed with SIGKILL mid-way.</summary>
public sealed class StorageCommandsTests : IDisposable
{
    private readonly List<string> _directories = [];

    private string NewDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "keel-commands-" + Guid.NewGuid().ToString("N"));
        _directories.Add(directory);
        return directory;
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = StorageCommands.Run(args, output, error, _ => null);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Migrate_dry_run_reports_and_writes_nothing_then_migrate_upgrades_once()
    {
        var directory = UpgradeHost.Unpack("format1.tar.gz");
        _directories.Add(directory);

        var dry = Run("migrate", "--data-dir", directory, "--dry-run");
        Assert.True(dry.Code == 0, dry.Error);
        Assert.Contains("format 1 -> 2 (dry run: nothing written)", dry.Output, StringComparison.Ordinal);
        Assert.Contains("status/invoked 2", dry.Output, StringComparison.Ordinal);
        using (var store = RocksDbStore.OpenDataDirectory(directory))
        {
            Assert.Equal(1, StorageUpgrade.DetectFormat(store));
        }

        var real = Run("migrate", "--data-dir", directory);
        Assert.True(real.Code == 0, real.Error);
        Assert.Contains("format 1 -> 2:", real.Output, StringComparison.Ordinal);
        var again = Run("migrate", "--data-dir", directory);
        Assert.Contains("nothing to do", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backup_serves_state_and_retained_outputs_as_the_original_did()
    {
        var original = NewDirectory();
        JsonNode? output;
        await using (var host = await UpgradeHost.StartAsync(original))
        {
            await host.RegisterAsync();
            await host.CallAsync("Counter/backed-up/add", "4");
            output = await host.CallAsync("Counter/backed-up-idem/add", "6", "backup-key");

            // Taken offline: a running server holds the database's lock.
            var refused = Run("backup", "--data-dir", original, "--to", NewDirectory());
            Assert.Equal(2, refused.Code);
            Assert.Contains("stop it first", refused.Error, StringComparison.Ordinal);
        }

        var backup = NewDirectory();
        var result = Run("backup", "--data-dir", original, "--to", backup);
        Assert.True(result.Code == 0, result.Error);
        Directory.Delete(original, recursive: true);

        await using var restored = await UpgradeHost.StartAsync(backup);
        await restored.RegisterAsync();
        Assert.Equal(4, (await restored.CallAsync("Counter/backed-up/get", ""))!.GetValue<long>());
        Assert.True(JsonNode.DeepEquals(output, await restored.CallAsync("Counter/backed-up-idem/add", "6", "backup-key")));
        Assert.Equal(6, (await restored.CallAsync("Counter/backed-up-idem/get", ""))!.GetValue<long>());
    }

    [Fact]
    public void A_backup_of_an_old_format_keeps_that_format_for_a_rollback()
    {
        var directory = UpgradeHost.Unpack("format1.tar.gz");
        _directories.Add(directory);
        var backup = NewDirectory();
        Assert.Equal(0, Run("backup", "--data-dir", directory, "--to", backup).Code);
        using var store = RocksDbStore.OpenDataDirectory(backup);
        Assert.Equal(1, StorageUpgrade.DetectFormat(store));
        Assert.True(File.Exists(Path.Combine(backup, "schema.json")));
    }

    [Theory]
    [InlineData("backup", "--data-dir", "/tmp/x")]
    [InlineData("migrate", "--to", "/tmp/y")]
    public void Wrong_usage_prints_the_command_line(params string[] args)
    {
        var result = Run(args);
        Assert.Equal(2, result.Code);
        Assert.StartsWith("Usage: keel-server " + args[0], result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_help_lists_the_commands()
    {
        var help = ServerSettings.Usage();
        Assert.Contains("keel-server migrate [--data-dir DIR] [--dry-run]", help, StringComparison.Ordinal);
        Assert.Contains("keel-server backup [--data-dir DIR] --to DIR2", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_migration_killed_mid_way_is_finished_by_the_next_run()
    {
        const int Objects = 3000;
        var directory = NewDirectory();
        WriteFormat1(directory, Objects);

        // The first run stops after 5 of its batches (a test hook) and is killed there with SIGKILL.
        var (first, firstOutput) = await StartMigrateAsync(directory, holdAfterBatches: 5);
        await WaitForLineAsync(first, "migration holding after 5 batches");
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        using (var store = RocksDbStore.OpenDataDirectory(directory))
        {
            Assert.Equal(1, StorageUpgrade.DetectFormat(store));
            var statuses = store.Scan(Table.Status, [], null).Select(e => e.Value[0] == (byte)'{').ToList();
            Assert.Contains(true, statuses);
            Assert.Contains(false, statuses);
        }

        var (second, secondOutput) = await StartMigrateAsync(directory, holdAfterBatches: null);
        await second.WaitForExitAsync();
        Assert.True(second.ExitCode == 0, secondOutput.ToString() + firstOutput);

        using (var store = RocksDbStore.OpenDataDirectory(directory))
        {
            Assert.Equal(2, StorageUpgrade.DetectFormat(store));
            for (var i = 0; i < Objects; i++)
            {
                var key = $"k{i}";
                var id = Id(i);
                Assert.Equal(System.Text.Encoding.UTF8.GetBytes($"{i}"), store.Get(Table.State, Keys.StateEntry("Counter", key, "counter")));
                Assert.Equal(id.ToBytes(), store.Get(Table.Idempotency, Keys.Idempotency("Counter", key, "add", "ik")));
                var record = RecordCodec.DecodeInvocation(id, store.Get(Table.Status, Keys.Invocation(id))!);
                Assert.Equal((InvocationPhase.Completed, $"{i}"), (record.Phase, System.Text.Encoding.UTF8.GetString(record.Result!.Value!)));
            }

            // Nothing left in format 1's shape, nothing doubled.
            Assert.Equal(Objects, store.Scan(Table.State, [], null).Count());
            Assert.Equal(Objects, store.Scan(Table.Idempotency, [], null).Count());
            Assert.Equal(Objects, store.Scan(Table.Retention, [], null).Count());
        }
    }

    private static InvocationId Id(int i) => InvocationId.Deterministic(PartitionMap.KeyOf("Counter", $"k{i}"), "ik", "Counter", $"k{i}", "add", "ik");

    /// <summary>A format-1 directory of completed idempotent calls, each with its object's state (written in memory, copied in large batches).</summary>
    private static void WriteFormat1(string directory, int objects)
    {
        var memory = new MemoryStore();
        var old = new Format1Store(memory).Partitions(2);
        var retainUntil = DateTimeOffset.UtcNow.AddDays(1).ToString("O");
        for (var i = 0; i < objects; i++)
        {
            var key = $"k{i}";
            old.Status(Id(i), new JsonObject
            {
                ["Service"] = "Counter", ["Handler"] = "add", ["Key"] = key, ["ServiceType"] = 1, ["HandlerKind"] = 1, ["Phase"] = (int)InvocationPhase.Completed,
                ["Attempt"] = 1, ["DeploymentId"] = "dp_x", ["ProtocolVersion"] = 5, ["JournalLength"] = 3, ["IdempotencyKey"] = "ik",
                ["LastStoredEntryAt"] = DateTimeOffset.UnixEpoch.ToString("O"), ["CreatedAt"] = DateTimeOffset.UnixEpoch.ToString("O"),
                ["Result"] = new JsonObject { ["Success"] = true, ["Value"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{i}")) },
                ["RetainUntil"] = retainUntil,
            })
            .State("Counter", key, "counter", System.Text.Encoding.UTF8.GetBytes($"{i}"))
            .Idempotency("Counter", key, "add", "ik", Id(i));
        }

        using var store = RocksDbStore.OpenDataDirectory(directory);
        foreach (var chunk in memory.Dump().Chunk(4096))
        {
            store.Commit([.. chunk.Select(e => new WriteOp(e.Table, e.Key, e.Value))]);
        }
    }

    private static async Task<(Process Process, System.Text.StringBuilder Output)> StartMigrateAsync(string directory, int? holdAfterBatches)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { ServerDll(), "migrate", "--data-dir", directory })
        {
            start.ArgumentList.Add(arg);
        }

        if (holdAfterBatches is { } n)
        {
            start.Environment["KEEL_TEST_MIGRATION_HOLD_AFTER_BATCHES"] = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        await Task.CompletedTask;
        return (process, output);
    }

    private static async Task WaitForLineAsync(Process process, string line)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } read)
        {
            if (read.Contains(line, StringComparison.Ordinal))
            {
                return;
            }
        }

        Assert.Fail($"the migration ended without printing '{line}'");
    }

    private static string ServerDll()
    {
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "Keel.slnx")))
        {
            root = root.Parent ?? throw new InvalidOperationException("the repository root is not above the test assembly");
        }

        return Path.Combine(root.FullName, "src", "Keel.Server.Tool", "bin", configuration, "net10.0", "keel-server.dll");
    }

    public void Dispose()
    {
        foreach (var directory in _directories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
