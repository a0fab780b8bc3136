namespace Keel.Server.Storage;

/// <summary>The tables (column families) the runtime keeps.</summary>
public enum Table
{
    Status,
    Journal,
    State,
    Inbox,
    Locks,
    Timers,
    Idempotency,
    Promises,

    /// <summary>Global, not owned by a partition: the on-disk format version and the partition count.</summary>
    Meta,
    Outbox,

    /// <summary>Per-partition bookkeeping: sequence counters and the last outbox entry applied from each source.</summary>
    Fsm,

    /// <summary>Completed invocations by the time their retention ends, so cleanup reads only what expired.</summary>
    Retention,

    /// <summary>Invocations with a running attempt, so recovery resumes them without scanning the status table.</summary>
    Active,
}

/// <summary>
/// The narrow storage seam: point reads, ordered range scans, and atomic durable batches. RocksDB
/// implements it for the embedded default; an in-memory version serves the state-machine tests.
/// A Postgres backend would implement the same three operations.
/// </summary>
public interface IKeyValueStore : IDisposable
{
    byte[]? Get(Table table, ReadOnlySpan<byte> key);

    /// <summary>Entries with <paramref name="from"/> ≤ key &lt; <paramref name="to"/> (no upper bound when null), in key order, read lazily.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to);

    /// <summary>
    /// Applies every write atomically and durably (fsync) before returning; throws if it cannot. It also
    /// makes durable every <see cref="CommitWithoutSync"/> that returned before it began — even when it
    /// has nothing to write itself.
    /// </summary>
    void Commit(IReadOnlyList<WriteOp> writes);

    /// <summary>
    /// Applies every write atomically, visible to later reads, but durable against a power cut only once
    /// a later <see cref="Commit"/> returns (a store that cannot tell the two apart syncs it). For writes
    /// nobody outside the server has been told about (see <c>SyncDeferral</c>).
    /// </summary>
    void CommitWithoutSync(IReadOnlyList<WriteOp> writes) => Commit(writes);

    /// <summary>
    /// A read-only view of everything committed so far, unaffected by later commits (introspection
    /// reads from it on its own thread while the partitions go on writing). Dispose releases it.
    /// </summary>
    IStoreSnapshot OpenSnapshot();
}

/// <summary>The store as it was when the snapshot was taken.</summary>
public interface IStoreSnapshot : IDisposable
{
    byte[]? Get(Table table, ReadOnlySpan<byte> key);

    /// <summary>Entries with <paramref name="from"/> ≤ key &lt; <paramref name="to"/> (no upper bound when null), in key order, read lazily.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to);
}

/// <summary>A put (value not null) or a delete.</summary>
public readonly record struct WriteOp(Table Table, byte[] Key, byte[]? Value);

public static class KeyValueStoreExtensions
{
    /// <summary>Entries whose key starts with <paramref name="prefix"/>, in key order.</summary>
    public static IEnumerable<KeyValuePair<byte[], byte[]>> ScanPrefix(this IKeyValueStore store, Table table, byte[] prefix)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.Scan(table, prefix, KeyRange.PrefixEnd(prefix));
    }
}

/// <summary>Byte-order helpers for range scans.</summary>
public static class KeyRange
{
    /// <summary>The smallest key greater than every key starting with <paramref name="prefix"/>; null when there is none (all 0xFF).</summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return null;
    }

    public static bool InRange(ReadOnlySpan<byte> key, ReadOnlySpan<byte> from, byte[]? to) =>
        key.SequenceCompareTo(from) >= 0 && (to is null || key.SequenceCompareTo(to) < 0);
}
