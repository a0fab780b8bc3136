using Keel.Server.Storage;
using Keel.Server.Storage.Migrations;

namespace Keel.Server.Tests.Storage;

/// <summary>A directory written by today's server (the current format) opens as it is: no migration runs, nothing is rewritten.</summary>
public sealed class Format2DirectoryTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("keel-format2-").FullName;

    [Fact]
    public async Task A_current_format_directory_opens_unchanged()
    {
        await using (var host = await UpgradeHost.StartAsync(_directory))
        {
            await host.RegisterAsync();
            await host.CallAsync("Counter/format2/add", "4");
        }

        string before;
        using (var store = RocksDbStore.OpenDataDirectory(_directory))
        {
            Assert.Equal(StorageFormat.Version, StorageUpgrade.DetectFormat(store));
            before = Describe(store);
            Assert.Empty(StorageUpgrade.Run(store));
            Assert.Equal(before, Describe(store));
        }

        // The same services at a new address: the deployment is registered again, the state is where it was.
        await using var again = await UpgradeHost.StartAsync(_directory);
        await again.RegisterAsync();
        Assert.Equal(4, (await again.CallAsync("Counter/format2/get", ""))!.GetValue<long>());
    }

    internal static string Describe(IKeyValueStore store) => string.Join("\n",
        Enum.GetValues<Table>().SelectMany(t => store.Scan(t, [], null).Select(e => $"{t} {Convert.ToHexString(e.Key)} {Convert.ToHexString(e.Value)}")));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
