using Keel.Server.Storage;

namespace Keel.Server.Postgres;

/// <summary>
/// One partition's view of the shared PostgreSQL store for a node holding its lease: reads go
/// straight through; every commit first checks the lease (see <see cref="PostgresStore.Commit(IReadOnlyList{WriteOp}, LeaseFence?)"/>).
/// Disposing it leaves the shared store open.
/// </summary>
public sealed class FencedPartitionStore(PostgresStore store, LeaseFence fence) : IKeyValueStore
{
    public LeaseFence Fence { get; } = fence;

    public byte[]? Get(Table table, ReadOnlySpan<byte> key) => store.Get(table, key);

    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => store.Scan(table, from, to);

    public void Commit(IReadOnlyList<WriteOp> writes) => store.Commit(writes, Fence);

    public IStoreSnapshot OpenSnapshot() => store.OpenSnapshot();

    public void Dispose()
    {
    }
}
