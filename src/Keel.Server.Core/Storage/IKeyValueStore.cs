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
    Meta,
    Outbox,
}

/// <summary>
/// The narrow storage seam: point reads, ordered prefix scans, and atomic durable batches. RocksDB
/// implements it for the embedded default; an in-memory version serves the state-machine tests.
/// A Postgres backend would implement the same three operations.
/// </summary>
public interface IKeyValueStore : IDisposable
{
    byte[]? Get(Table table, ReadOnlySpan<byte> key);

    /// <summary>Entries whose key starts with <paramref name="prefix"/>, in key order.</summary>
    IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] prefix);

    /// <summary>Applies every write atomically and durably (fsync) before returning.</summary>
    void Commit(IReadOnlyList<WriteOp> writes);
}

/// <summary>A put (value not null) or a delete.</summary>
public readonly record struct WriteOp(Table Table, byte[] Key, byte[]? Value);
