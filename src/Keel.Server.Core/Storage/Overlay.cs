using System.Buffers.Binary;

namespace Keel.Server.Storage;

/// <summary>
/// Pending writes (puts and deletes) of one command or one batch, per table: point reads by hash,
/// range reads in key order. Deletes are kept as null values so they hide what lies beneath.
/// Keys are bucketed by their 8-byte partition-key prefix, each bucket a small sorted list: the
/// runtime's range reads stay inside one object, invocation or partition index, so a range read
/// touches one or two buckets however large the batch grows.
/// </summary>
public sealed class Overlay
{
    private const int PrefixLength = 8;
    private static readonly int TableCount = Enum.GetValues<Table>().Length;
    private readonly Dictionary<byte[], byte[]?>?[] _values = new Dictionary<byte[], byte[]?>?[TableCount];
    private readonly Dictionary<ulong, List<byte[]>>?[] _buckets = new Dictionary<ulong, List<byte[]>>?[TableCount];
    private readonly List<byte[]>?[] _short = new List<byte[]>?[TableCount];

    public int Count { get; private set; }

    public bool TryGet(Table table, byte[] key, out byte[]? value)
    {
        value = null;
        return _values[(int)table] is { } values && values.TryGetValue(key, out value);
    }

    public void Set(Table table, byte[] key, byte[]? value)
    {
        var values = _values[(int)table] ??= new Dictionary<byte[], byte[]?>(ByteComparer.Instance);
        if (!values.TryAdd(key, value))
        {
            values[key] = value;
            return;
        }

        Count++;
        var list = key.Length < PrefixLength
            ? _short[(int)table] ??= []
            : Bucket(table, BinaryPrimitives.ReadUInt64BigEndian(key), create: true)!;
        var at = list.BinarySearch(key, ByteComparer.Instance);
        list.Insert(~at, key);
    }

    /// <summary>Entries (deletes as null) with from ≤ key &lt; to, in key order.</summary>
    public IEnumerable<KeyValuePair<byte[], byte[]?>> Range(Table table, byte[] from, byte[]? to)
    {
        if (_values[(int)table] is not { } values)
        {
            return [];
        }

        var found = new List<byte[]>();
        if (from.Length >= PrefixLength && to is { Length: >= PrefixLength }
            && BinaryPrimitives.ReadUInt64BigEndian(to) - BinaryPrimitives.ReadUInt64BigEndian(from) <= 1
            && BinaryPrimitives.ReadUInt64BigEndian(to) >= BinaryPrimitives.ReadUInt64BigEndian(from))
        {
            // The usual case: the range lies within one partition key (or ends at the next one).
            var first = BinaryPrimitives.ReadUInt64BigEndian(from);
            Collect(Bucket(table, first, create: false), from, to, found);
            if (BinaryPrimitives.ReadUInt64BigEndian(to) != first)
            {
                Collect(Bucket(table, first + 1, create: false), from, to, found);
            }
        }
        else
        {
            Collect(_short[(int)table], from, to, found);
            if (_buckets[(int)table] is { } buckets)
            {
                foreach (var bucket in buckets.Values)
                {
                    Collect(bucket, from, to, found);
                }

                found.Sort(ByteComparer.Instance);
            }
        }

        return found.Select(k => KeyValuePair.Create(k, values[k])).ToList();
    }

    private List<byte[]>? Bucket(Table table, ulong prefix, bool create)
    {
        var buckets = _buckets[(int)table];
        if (buckets is null)
        {
            if (!create)
            {
                return null;
            }

            buckets = _buckets[(int)table] = [];
        }

        if (!buckets.TryGetValue(prefix, out var list) && create)
        {
            buckets[prefix] = list = [];
        }

        return list;
    }

    private static void Collect(List<byte[]>? sorted, byte[] from, byte[]? to, List<byte[]> found)
    {
        if (sorted is null)
        {
            return;
        }

        var at = sorted.BinarySearch(from, ByteComparer.Instance);
        for (var i = at < 0 ? ~at : at; i < sorted.Count && (to is null || ByteComparer.Instance.Compare(sorted[i], to) < 0); i++)
        {
            found.Add(sorted[i]);
        }
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

    /// <summary>Every write, in table then key order.</summary>
    public List<WriteOp> Writes()
    {
        var writes = new List<WriteOp>(Count);
        for (var t = 0; t < TableCount; t++)
        {
            if (_values[t] is { } values)
            {
                var keys = values.Keys.ToList();
                keys.Sort(ByteComparer.Instance);
                writes.AddRange(keys.Select(k => new WriteOp((Table)t, k, values[k])));
            }
        }

        return writes;
    }
}
