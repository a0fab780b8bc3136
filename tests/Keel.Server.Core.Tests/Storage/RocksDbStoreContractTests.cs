using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

public sealed class RocksDbStoreContractTests : KeyValueStoreContract, IDisposable
{
    private readonly List<string> _directories = [];
    private readonly Dictionary<IKeyValueStore, string> _where = [];

    protected override IKeyValueStore OpenEmpty()
    {
        var directory = Directory.CreateTempSubdirectory("keel-rocks-contract-").FullName;
        _directories.Add(directory);
        var store = new RocksDbStore(directory);
        _where[store] = directory;
        return store;
    }

    protected override IKeyValueStore Reopen(IKeyValueStore store) => new RocksDbStore(_where[store]);

    public void Dispose()
    {
        foreach (var directory in _directories)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
