namespace Keel.Server.Storage;

/// <summary>
/// The writes of one processor batch, readable before they are committed (later commands in the
/// batch see earlier ones), then committed as one durable write.
/// </summary>
public sealed class Transaction(IKeyValueStore store)
{
    private readonly Dictionary<Table, SortedDictionary<byte[], byte[]?>> _overlay =
        Enum.GetValues<Table>().ToDictionary(t => t, _ => new SortedDictionary<byte[], byte[]?>(ByteComparer.Instance));

    public bool IsEmpty => _overlay.Values.All(t => t.Count == 0);

    public byte[]? Get(Table table, byte[] key) =>
        _overlay[table].TryGetValue(key, out var pending) ? pending : store.Get(table, key);

    public void Put(Table table, byte[] key, byte[] value) => _overlay[table][key] = value;

    public void Delete(Table table, byte[] key) => _overlay[table][key] = null;

    /// <summary>Committed entries merged with this batch's pending writes, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] prefix)
    {
        var merged = new SortedDictionary<byte[], byte[]?>(ByteComparer.Instance);
        foreach (var (key, value) in store.Scan(table, prefix))
        {
            merged[key] = value;
        }

        foreach (var (key, value) in _overlay[table].Where(kv => kv.Key.AsSpan().StartsWith(prefix)))
        {
            merged[key] = value;
        }

        return merged.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create(kv.Key, kv.Value!)).ToList();
    }

    public void Commit()
    {
        store.Commit(_overlay.SelectMany(t => t.Value.Select(kv => new WriteOp(t.Key, kv.Key, kv.Value))).ToList());
        foreach (var table in _overlay.Values)
        {
            table.Clear();
        }
    }
}
