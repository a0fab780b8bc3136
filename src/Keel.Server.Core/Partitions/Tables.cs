using System.Buffers.Binary;
using System.Text.Json;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Typed reads and writes of the runtime's tables, within one batch's transaction.</summary>
public sealed class Tables(Transaction tx, int partition = 0)
{
    private static readonly JsonSerializerOptions Json = new();

    public Transaction Transaction => tx;

    // ---- invocation status ---------------------------------------------------------------

    public InvocationRecord? GetInvocation(InvocationId id) =>
        tx.Get(Table.Status, Keys.Invocation(id)) is { } bytes ? JsonSerializer.Deserialize<InvocationRecord>(bytes, Json) : null;

    public void PutInvocation(InvocationRecord record) =>
        tx.Put(Table.Status, Keys.Invocation(InvocationId.Parse(record.Id)), JsonSerializer.SerializeToUtf8Bytes(record, Json));

    public void DeleteInvocation(InvocationId id) => tx.Delete(Table.Status, Keys.Invocation(id));

    public IEnumerable<InvocationRecord> AllInvocations() =>
        tx.Scan(Table.Status, []).Select(kv => JsonSerializer.Deserialize<InvocationRecord>(kv.Value, Json)!);

    // ---- journal ---------------------------------------------------------------------------

    public void AppendJournal(InvocationRecord record, MessageType type, byte[] payload)
    {
        var bytes = new byte[2 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)type);
        payload.CopyTo(bytes, 2);
        tx.Put(Table.Journal, Keys.JournalEntry(InvocationId.Parse(record.Id), record.JournalLength), bytes);
        record.JournalLength++;
        if (type.IsCommand())
        {
            record.CommandCount++;
        }
    }

    public List<JournalEntry> ReadJournal(InvocationId id) =>
        tx.Scan(Table.Journal, Keys.JournalPrefix(id))
            .Select(kv => new JournalEntry((MessageType)BinaryPrimitives.ReadUInt16BigEndian(kv.Value), kv.Value.AsMemory(2)))
            .ToList();

    public void DeleteJournal(InvocationId id)
    {
        foreach (var (key, _) in tx.Scan(Table.Journal, Keys.JournalPrefix(id)))
        {
            tx.Delete(Table.Journal, key);
        }
    }

    // ---- object state ----------------------------------------------------------------------

    public byte[]? GetState(string service, string key, string stateKey) => tx.Get(Table.State, Keys.StateEntry(service, key, stateKey));

    public void SetState(string service, string key, string stateKey, byte[] value) => tx.Put(Table.State, Keys.StateEntry(service, key, stateKey), value);

    public void ClearState(string service, string key, string stateKey) => tx.Delete(Table.State, Keys.StateEntry(service, key, stateKey));

    public List<KeyValuePair<string, byte[]>> AllState(string service, string key)
    {
        var prefix = Keys.Object(service, key);
        return tx.Scan(Table.State, prefix).Select(kv => KeyValuePair.Create(Keys.StateKeyOf(kv.Key, prefix.Length), kv.Value)).ToList();
    }

    public void ClearAllState(string service, string key)
    {
        foreach (var (entry, _) in tx.Scan(Table.State, Keys.Object(service, key)))
        {
            tx.Delete(Table.State, entry);
        }
    }

    // ---- object locks and inboxes ----------------------------------------------------------

    public string? LockHolder(string service, string key) =>
        tx.Get(Table.Locks, Keys.Object(service, key)) is { } bytes ? InvocationId.FromBytes(bytes).ToString() : null;

    public void Lock(string service, string key, InvocationId holder) => tx.Put(Table.Locks, Keys.Object(service, key), holder.ToBytes());

    public void Unlock(string service, string key) => tx.Delete(Table.Locks, Keys.Object(service, key));

    public void Enqueue(string service, string key, InvocationId id) =>
        tx.Put(Table.Inbox, Keys.InboxEntry(service, key, NextSequence("inbox/" + partition)), id.ToBytes());

    /// <summary>Removes and returns the oldest inboxed invocation of the key.</summary>
    public InvocationId? Dequeue(string service, string key)
    {
        var head = tx.Scan(Table.Inbox, Keys.Object(service, key)).FirstOrDefault();
        if (head.Key is null)
        {
            return null;
        }

        tx.Delete(Table.Inbox, head.Key);
        return InvocationId.FromBytes(head.Value);
    }

    public bool RemoveFromInbox(string service, string key, InvocationId id)
    {
        var entry = tx.Scan(Table.Inbox, Keys.Object(service, key)).FirstOrDefault(kv => kv.Value.AsSpan().SequenceEqual(id.ToBytes()));
        if (entry.Key is null)
        {
            return false;
        }

        tx.Delete(Table.Inbox, entry.Key);
        return true;
    }

    // ---- timers ----------------------------------------------------------------------------

    public byte[] AddTimer(DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId = 0)
    {
        var key = Keys.Timer(at, id, kind, completionId);
        tx.Put(Table.Timers, key, []);
        return key;
    }

    public bool TakeTimer(byte[] key)
    {
        if (tx.Get(Table.Timers, key) is null)
        {
            return false;
        }

        tx.Delete(Table.Timers, key);
        return true;
    }

    public IEnumerable<byte[]> AllTimers() => tx.Scan(Table.Timers, []).Select(kv => kv.Key);

    // ---- idempotency and promises ----------------------------------------------------------

    public string? IdempotentInvocation(byte[] key) => tx.Get(Table.Idempotency, key) is { } bytes ? InvocationId.FromBytes(bytes).ToString() : null;

    public void PutIdempotent(byte[] key, InvocationId id) => tx.Put(Table.Idempotency, key, id.ToBytes());

    public ResultRecord? GetPromise(string service, string key, string name) =>
        tx.Get(Table.Promises, Keys.Promise(service, key, name)) is { } bytes ? JsonSerializer.Deserialize<ResultRecord>(bytes, Json) : null;

    public void PutPromise(string service, string key, string name, ResultRecord result) =>
        tx.Put(Table.Promises, Keys.Promise(service, key, name), JsonSerializer.SerializeToUtf8Bytes(result, Json));

    // ---- cross-partition outbox and the receiving side's deduplication ---------------------------

    public ulong PutOutbox(byte[] entry)
    {
        var seq = NextSequence("outbox/" + partition);
        tx.Put(Table.Outbox, OutboxKey(partition, seq), entry);
        return seq;
    }

    public void DeleteOutbox(ulong seq) => tx.Delete(Table.Outbox, OutboxKey(partition, seq));

    public IEnumerable<(ulong Seq, byte[] Entry)> Outbox() =>
        tx.Scan(Table.Outbox, OutboxKey(partition, null)).Select(kv => (BinaryPrimitives.ReadUInt64BigEndian(kv.Key.AsSpan(4)), kv.Value));

    /// <summary>The highest sequence number from <paramref name="source"/> already applied here.</summary>
    public ulong LastDelivered(int source) =>
        tx.Get(Table.Meta, Keys.Meta($"delivered/{partition}/{source}")) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

    public void SetLastDelivered(int source, ulong seq)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, seq);
        tx.Put(Table.Meta, Keys.Meta($"delivered/{partition}/{source}"), bytes);
    }

    private static byte[] OutboxKey(int source, ulong? seq)
    {
        var key = new byte[seq is null ? 4 : 12];
        BinaryPrimitives.WriteInt32BigEndian(key, source);
        if (seq is { } s)
        {
            BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(4), s);
        }

        return key;
    }

    private ulong NextSequence(string name)
    {
        var key = Keys.Meta("seq/" + name);
        var next = tx.Get(Table.Meta, key) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) + 1 : 1;
        var encoded = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(encoded, next);
        tx.Put(Table.Meta, key, encoded);
        return next;
    }
}
