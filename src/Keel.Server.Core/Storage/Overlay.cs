namespace Keel.Server.Storage;

/// <summary>
/// Pending writes (puts and deletes) of one command or one batch, per table: point reads by hash,
/// range reads in key order. Deletes are kept as null values so they hide what lies beneath.
/// </summary>
public sealed class Overlay
{
    private static readonly int TableCount = Enum.GetValues<Table>().Length;
    private readonly Dictionary<byte[], byte[]?>?[] _values = new Dictionary<byte[], byte[]?>?[TableCount];
    private readonly SortedSet<byte[]>?[] _keys = new SortedSet<byte[]>?[TableCount];

    public int Count { get; private set; }

    public bool TryGet(Table table, byte[] key, out byte[]? value)
    {
        value = null;
        return _values[(int)table] is { } values && values.TryGetValue(key, out value);
    }

    public void Set(Table table, byte[] key, byte[]? value)
    {
        var values = _values[(int)table] ??= new Dictionary<byte[], byte[]?>(ByteComparer.Instance);
        if (values.TryAdd(key, value))
        {
            (_keys[(int)table] ??= new SortedSet<byte[]>(ByteComparer.Instance)).Add(key);
            Count++;
        }
        else
        {
            values[key] = value;
        }
    }

    /// <summary>Entries (deletes as null) with from ≤ key &lt; to, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]?>> Range(Table table, byte[] from, byte[]? to)
    {
        if (_keys[(int)table] is not { Count: > 0 } keys)
        {
            return [];
        }

        var values = _values[(int)table]!;
        var max = keys.Max!;
        if (ByteComparer.Instance.Compare(from, max) > 0)
        {
            return [];
        }

        // GetViewBetween takes an inclusive upper bound: clip to the last key, then drop `to` itself.
        var upper = to is null || ByteComparer.Instance.Compare(to, max) > 0 ? max : to;
        if (ByteComparer.Instance.Compare(from, upper) > 0)
        {
            return [];
        }

        return keys.GetViewBetween(from, upper)
            .Where(k => to is null || ByteComparer.Instance.Compare(k, to) < 0)
            .Select(k => KeyValuePair.Create(k, values[k]))
            .ToList();
    }

    /// <summary>Copies every entry into <paramref name="target"/> (later writes win).</summary>
    public void MergeInto(Overlay target)
    {
        ArgumentNullException.ThrowIfNull(target);
        for (var t = 0; t < TableCount; t++)
        {
            if (_values[t] is { } values)
            {
                foreach (var (key, value) in values)
                {
                    target.Set((Table)t, key, value);
                }
            }
        }
    }

    public List<WriteOp> Writes()
    {
        var writes = new List<WriteOp>(Count);
        for (var t = 0; t < TableCount; t++)
        {
            if (_keys[t] is { } keys)
            {
                var values = _values[t]!;
                writes.AddRange(keys.Select(k => new WriteOp((Table)t, k, values[k])));
            }
        }

        return writes;
    }
}
