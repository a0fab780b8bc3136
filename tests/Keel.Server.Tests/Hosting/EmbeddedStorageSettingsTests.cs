using System.Text.RegularExpressions;
using Keel.Server.Hosting;

namespace Keel.Server.Tests.Hosting;

/// <summary>The server opens its embedded RocksDB with the block cache its settings ask for.</summary>
public sealed partial class EmbeddedStorageSettingsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "keel-embedded-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_block_cache_setting_reaches_the_store()
    {
        var settings = ServerSettings.Load(["--data-dir", _directory, "--rocksdb-block-cache", "40MiB"], _ => null) with
        {
            IngressPort = ListenerSecurityTests.Server.FreePort(),
            AdminPort = ListenerSecurityTests.Server.FreePort(),
        };
        await (await KeelServerHost.StartAsync(settings, ListenerSecurityTests.Server.Quiet())).DisposeAsync();

        // RocksDB logs each table's block cache with its capacity when the database opens.
        var capacities = CapacityLine().Matches(File.ReadAllText(Path.Combine(_directory, "db", "LOG"))).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(capacities);
        Assert.All(capacities, c => Assert.Equal((40L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), c));
    }

    [GeneratedRegex(@"block_cache_options:\s*\n\s*capacity : (\d+)")]
    private static partial Regex CapacityLine();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
