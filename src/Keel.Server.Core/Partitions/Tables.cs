using System.Buffers.Binary;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// Typed reads and writes of one partition's tables within a batch's transaction. Status records
/// are decoded once per command and written once, when the command completes (dirty set); the
/// active-invocation index follows their phase. Every write must fall in the partition's key range.
/// </summary>
public sealed class Tables
{
    private readonly Transaction _tx;
    private readonly PartitionMap _map;
    private readonly int _partition;
    private readonly ulong _rangeStart;
    private readonly Dictionary<InvocationId, Cached> _records = [];

    /// <summary>An id of this command known to have no record in storage (see <see cref="NoteNew"/>).</summary>
    private InvocationId? _knownNew;

    public Tables(Transaction tx, PartitionMap? map = null, int partition = 0)
    {
        _tx = tx;
        _map = map ?? new PartitionMap(1);
        _partition = partition;
        _rangeStart = _map.RangeStart(partition);
    }

    public Transaction Transaction => _tx;

    /// <summary>The time of the command being applied (set by the state machine): journal entries keep when they were appended.</summary>
    public DateTimeOffset Now { get; set; }

    public int Partition => _partition;

    public PartitionMap Map => _map;

    // ---- savepoints ------------------------------------------------------------------------------

    public void BeginCommand() => _tx.BeginCommand();

    /// <summary>Writes the command's changed records and folds its writes into the batch; returns its mutations.</summary>
    public IReadOnlyList<WriteOp> CompleteCommand()
    {
        Flush();
        return _tx.CompleteCommand();
    }

    public void RollbackCommand()
    {
        _records.Clear();
        _knownNew = null;
        _tx.RollbackCommand();
    }

    /// <summary>Encodes every changed record once, and keeps the active index in step with each record's phase.</summary>
    public void Flush()
    {
        foreach (var (id, cached) in _records)
        {
            if (cached.Deleted)
            {
                Write(Table.Status, Keys.Invocation(id), null);
                if (cached.LoadedPhase == InvocationPhase.Invoked)
                {
                    Write(Table.Active, Keys.Active(_rangeStart, id), null);
                }

                continue;
            }

            if (!cached.Dirty)
            {
                continue;
            }

            Write(Table.Status, Keys.Invocation(id), RecordCodec.Encode(cached.Record));
            var running = cached.Record.Phase == InvocationPhase.Invoked;
            var wasRunning = cached.LoadedPhase == InvocationPhase.Invoked;
            if (running != wasRunning)
            {
                Write(Table.Active, Keys.Active(_rangeStart, id), running ? [] : null);
            }
        }

        _records.Clear();
        _knownNew = null;
    }

    // ---- invocation status -----------------------------------------------------------------------

    /// <summary>
    /// Tells the tables that the current command creates <paramref name="id"/> and that no record of it
    /// can exist (an id drawn at random for this command alone): its first write skips reading the
    /// previous status. Only for such ids: a derived one (idempotency key, workflow, a call's child id)
    /// may exist and must be read. Holds until the command completes.
    /// </summary>
    public void NoteNew(InvocationId id) => _knownNew = id;

    /// <summary>The record, decoded once per command: every step of a command works on the same instance.</summary>
    public InvocationRecord? GetInvocation(InvocationId id)
    {
        if (_records.TryGetValue(id, out var cached))
        {
            return cached.Deleted ? null : cached.Record;
        }

        if (_tx.Get(Table.Status, Keys.Invocation(id)) is not { } bytes)
        {
            return null;
        }

        var record = RecordCodec.DecodeInvocation(id, bytes);
        _records[id] = new Cached(record, record.Phase);
        return record;
    }

    /// <summary>Marks the record changed; it is encoded and written when the command completes.</summary>
    public void PutInvocation(InvocationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        CheckOwned(record.Id.PartitionKey);
        if (_records.TryGetValue(record.Id, out var cached))
        {
            if (!ReferenceEquals(cached.Record, record) || cached.Deleted)
            {
                _records[record.Id] = cached with { Record = record, Deleted = false, Dirty = true };
            }
            else
            {
                cached.Dirty = true;
            }

            return;
        }

        // Not read in this command: a new record, or one created earlier in the batch. A record the
        // command knows to be new has no previous phase, and reading it would only cost a round trip.
        var previous = _knownNew == record.Id ? null
            : _tx.Get(Table.Status, Keys.Invocation(record.Id)) is { } bytes ? RecordCodec.DecodeInvocation(record.Id, bytes).Phase : (InvocationPhase?)null;
        _records[record.Id] = new Cached(record, previous) { Dirty = true };
    }

    public void DeleteInvocation(InvocationId id)
    {
        if (GetInvocation(id) is not null)
        {
            _records[id].Deleted = true;
        }
    }

    /// <summary>Invocations of this partition with a running attempt (index read: no status-table scan).</summary>
    public List<InvocationId> ActiveInvocations() =>
        _tx.Scan(Table.Active, Keys.PartitionPrefix(_rangeStart)).Select(kv => Keys.ActiveId(kv.Key)).ToList();

    /// <summary>Up to <paramref name="limit"/> entries of the active index after <paramref name="after"/> (from the start when null), with their index keys.</summary>
    public List<(InvocationId Id, byte[] IndexKey)> ActiveInvocations(byte[]? after, int limit)
    {
        var prefix = Keys.PartitionPrefix(_rangeStart);
        var from = after is null ? prefix : [.. after, 0];
        return [.. _tx.Scan(Table.Active, from, KeyRange.PrefixEnd(prefix)).Take(limit).Select(kv => (Keys.ActiveId(kv.Key), kv.Key))];
    }

    // ---- journal ---------------------------------------------------------------------------------

    public void AppendJournal(InvocationRecord record, MessageType type, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(record);
        Write(Table.Journal, Keys.JournalEntry(record.Id, record.JournalLength), JournalValue.Encode(type, Now, payload));
        record.JournalLength++;
        if (type.IsCommand())
        {
            record.CommandCount++;
        }
    }

    public List<JournalEntry> ReadJournal(InvocationId id) =>
        _tx.Scan(Table.Journal, Keys.JournalPrefix(id)).Select(kv => Entry(kv.Value)).ToList();

    /// <summary>The first <paramref name="count"/> entries of an invocation's journal.</summary>
    public List<JournalEntry> ReadJournal(InvocationId id, int count) =>
        _tx.Scan(Table.Journal, Keys.JournalPrefix(id)).Take(count).Select(kv => Entry(kv.Value)).ToList();

    /// <summary>
    /// The record's journal. Short journals (a new invocation's is one entry, often still in this
    /// batch) are read by point lookups, which avoid opening a storage iterator.
    /// </summary>
    public List<JournalEntry> ReadJournal(InvocationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.JournalLength > 8)
        {
            return ReadJournal(record.Id);
        }

        var entries = new List<JournalEntry>((int)record.JournalLength);
        for (var i = 0u; i < record.JournalLength; i++)
        {
            if (_tx.Get(Table.Journal, Keys.JournalEntry(record.Id, i)) is not { } bytes)
            {
                return ReadJournal(record.Id);
            }

            entries.Add(Entry(bytes));
        }

        return entries;
    }

    private static JournalEntry Entry(byte[] bytes)
    {
        var (type, _, payload) = JournalValue.Decode(bytes);
        return new JournalEntry(type, payload);
    }

    public void DeleteJournal(InvocationId id, uint length)
    {
        for (var i = 0u; i < length; i++)
        {
            Write(Table.Journal, Keys.JournalEntry(id, i), null);
        }
    }

    // ---- object state ----------------------------------------------------------------------------

    public byte[]? GetState(string service, string key, string stateKey) => _tx.Get(Table.State, Keys.StateEntry(service, key, stateKey));

    public void SetState(string service, string key, string stateKey, byte[] value) => Write(Table.State, Keys.StateEntry(service, key, stateKey), value);

    public void ClearState(string service, string key, string stateKey) => Write(Table.State, Keys.StateEntry(service, key, stateKey), null);

    public List<KeyValuePair<string, byte[]>> AllState(string service, string key)
    {
        var prefix = Keys.Object(service, key);
        return _tx.Scan(Table.State, prefix).Select(kv => KeyValuePair.Create(Keys.StateKeyOf(kv.Key, prefix.Length), kv.Value)).ToList();
    }

    public void ClearAllState(string service, string key)
    {
        foreach (var (entry, _) in _tx.Scan(Table.State, Keys.Object(service, key)).ToList())
        {
            Write(Table.State, entry, null);
        }
    }

    // ---- object locks and inboxes ----------------------------------------------------------------

    public InvocationId? LockHolder(string service, string key) =>
        _tx.Get(Table.Locks, Keys.Object(service, key)) is { } bytes ? InvocationId.FromBytes(bytes) : null;

    public void Lock(string service, string key, InvocationId holder) => Write(Table.Locks, Keys.Object(service, key), holder.ToBytes());

    public void Unlock(string service, string key) => Write(Table.Locks, Keys.Object(service, key), null);

    /// <summary>Appends to the key's inbox; returns the entry's sequence number (kept in the record for removal).</summary>
    public ulong Enqueue(string service, string key, InvocationId id)
    {
        var sequence = NextSequence("inbox");
        Write(Table.Inbox, Keys.InboxEntry(service, key, sequence), id.ToBytes());
        return sequence;
    }

    /// <summary>
    /// Removes and returns the oldest inboxed invocation of the key (one iterator seek). The seek
    /// starts after <paramref name="after"/>, a sequence no live entry of the key can precede (the
    /// departing lock holder's own entry, or the counter when it took a free lock): every entry
    /// dequeued before leaves a deletion marker at the front of the key's range until compaction, and
    /// a seek from the front would step over all of them, making a hot key's drain quadratic.
    /// </summary>
    public InvocationId? Dequeue(string service, string key, ulong after = 0)
    {
        // Sequences start at 1, so after = 0 seeks from the front of the key's inbox.
        var head = _tx.Scan(Table.Inbox, Keys.InboxEntry(service, key, after + 1), KeyRange.PrefixEnd(Keys.Object(service, key))).FirstOrDefault();
        if (head.Key is null)
        {
            return null;
        }

        Write(Table.Inbox, head.Key, null);
        return InvocationId.FromBytes(head.Value);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> entries of the partition's lock or inbox table (<paramref name="table"/>) after
    /// <paramref name="after"/>, each with its key: the invocation ids they hold. Both tables hold only what waits or
    /// holds a key now (entries go when released or dequeued), so a page costs what is waiting, not the store.
    /// </summary>
    public List<(InvocationId Id, byte[] EntryKey)> ObjectEntries(Table table, byte[]? after, int limit)
    {
        var from = after is null ? Keys.PartitionPrefix(_rangeStart) : [.. after, 0];
        var end = _map.RangeEnd(_partition);
        var to = end == ulong.MaxValue ? null : Keys.PartitionPrefix(end + 1);
        return [.. _tx.Scan(table, from, to).Take(limit).Select(kv => (InvocationId.FromBytes(kv.Value), kv.Key))];
    }

    public void RemoveFromInbox(string service, string key, ulong sequence) => Write(Table.Inbox, Keys.InboxEntry(service, key, sequence), null);

    /// <summary>The last inbox sequence handed out in this partition (0: none yet); every later entry is greater.</summary>
    public ulong LastInboxSequence() => LastSequence("inbox");

    // ---- timers ----------------------------------------------------------------------------------

    public byte[] AddTimer(DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId = 0)
    {
        var key = Keys.Timer(_rangeStart, at, id, kind, completionId);
        Write(Table.Timers, key, []);
        return key;
    }

    public bool TakeTimer(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_tx.Get(Table.Timers, key) is null)
        {
            return false;
        }

        Write(Table.Timers, key, null);
        return true;
    }

    // ---- retention index -------------------------------------------------------------------------

    public void AddRetention(DateTimeOffset until, InvocationId id) => Write(Table.Retention, Keys.Retention(_rangeStart, until, id), []);

    public void RemoveRetention(DateTimeOffset until, InvocationId id) => Write(Table.Retention, Keys.Retention(_rangeStart, until, id), null);

    /// <summary>Up to <paramref name="limit"/> invocations whose retention ended at or before <paramref name="now"/>, oldest first.</summary>
    public List<(InvocationId Id, byte[] IndexKey)> Expired(DateTimeOffset now, int limit, byte[]? after = null) =>
        _tx.Scan(Table.Retention, after is null ? Keys.PartitionPrefix(_rangeStart) : [.. after, 0], Keys.RetentionBound(_rangeStart, now.AddMilliseconds(1)))
            .Take(limit)
            .Select(kv => (Keys.RetainedId(kv.Key), kv.Key))
            .ToList();

    public void DeleteIndexEntry(Table table, byte[] key) => Write(table, key, null);

    // ---- idempotency and promises ----------------------------------------------------------------

    public InvocationId? IdempotentInvocation(byte[] key) => _tx.Get(Table.Idempotency, key) is { } bytes ? InvocationId.FromBytes(bytes) : null;

    public void PutIdempotent(byte[] key, InvocationId id) => Write(Table.Idempotency, key, id.ToBytes());

    public void DeleteIdempotent(byte[] key) => Write(Table.Idempotency, key, null);

    public ResultRecord? GetPromise(string service, string key, string name) =>
        _tx.Get(Table.Promises, Keys.Promise(service, key, name)) is { } bytes ? RecordCodec.DecodePromise(bytes) : null;

    public void PutPromise(string service, string key, string name, ResultRecord result) =>
        Write(Table.Promises, Keys.Promise(service, key, name), RecordCodec.EncodePromise(result));

    public void AddPromiseListener(string service, string key, string name, InvocationId waiter, uint completionId)
    {
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, completionId);
        Write(Table.Promises, ListenerKey(service, key, name, waiter), value);
    }

    /// <summary>Removes and returns the invocations waiting on a promise, with the completion id each waits on.</summary>
    public List<(InvocationId Waiter, uint CompletionId)> TakePromiseListeners(string service, string key, string name)
    {
        var prefix = ListenerKey(service, key, name, null);
        var listeners = _tx.Scan(Table.Promises, prefix).ToList();
        foreach (var (listenerKey, _) in listeners)
        {
            Write(Table.Promises, listenerKey, null);
        }

        return listeners.Select(kv => (InvocationId.FromBytes(kv.Key.AsSpan(prefix.Length)), BinaryPrimitives.ReadUInt32BigEndian(kv.Value))).ToList();
    }

    /// <summary>Deletes every promise (and listener) of a workflow.</summary>
    public void DeletePromises(string service, string key)
    {
        foreach (var (promise, _) in _tx.Scan(Table.Promises, Keys.Object(service, key)).ToList())
        {
            Write(Table.Promises, promise, null);
        }
    }

    /// <summary>Promise key, a 0x01 separator (promise values never have it), then the waiting invocation.</summary>
    private static byte[] ListenerKey(string service, string key, string name, InvocationId? waiter) =>
        [.. Keys.Promise(service, key, name), 0x01, .. waiter?.ToBytes() ?? []];

    // ---- cross-partition outbox and the receiving side's deduplication ---------------------------

    public ulong PutOutbox(byte[] entry)
    {
        var sequence = NextSequence("outbox");
        Write(Table.Outbox, Keys.Outbox(_rangeStart, sequence), entry);
        return sequence;
    }

    public void DeleteOutbox(ulong sequence) => Write(Table.Outbox, Keys.Outbox(_rangeStart, sequence), null);

    public IEnumerable<(ulong Seq, byte[] Entry)> Outbox() =>
        _tx.Scan(Table.Outbox, Keys.PartitionPrefix(_rangeStart)).Select(kv => (Keys.OutboxSequence(kv.Key), kv.Value));

    /// <summary>Up to <paramref name="limit"/> outbox entries with after &lt; sequence &lt; below (null: no upper bound), in sequence order.</summary>
    public List<(ulong Seq, byte[] Entry)> OutboxPage(ulong after, ulong? below, int limit)
    {
        if (after == ulong.MaxValue || below <= after + 1)
        {
            return [];
        }

        var end = below is { } bound ? Keys.Outbox(_rangeStart, bound) : KeyRange.PrefixEnd(Keys.PartitionPrefix(_rangeStart));
        return [.. _tx.Scan(Table.Outbox, Keys.Outbox(_rangeStart, after + 1), end).Take(limit).Select(kv => (Keys.OutboxSequence(kv.Key), kv.Value))];
    }

    /// <summary>The sequence the next outbox entry will get (every entry so far is below it).</summary>
    public ulong NextOutboxSequence() => LastSequence("outbox") + 1;

    /// <summary>The highest sequence number from <paramref name="source"/> already applied here.</summary>
    public ulong LastDelivered(int source) =>
        _tx.Get(Table.Fsm, Keys.Fsm(_rangeStart, $"delivered/{source}")) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

    public void SetLastDelivered(int source, ulong sequence) => Write(Table.Fsm, Keys.Fsm(_rangeStart, $"delivered/{source}"), U64(sequence));

    /// <summary>The sequence of the last outbox entry this partition sent to <paramref name="target"/> (0: none yet).</summary>
    public ulong LastSentTo(int target) =>
        _tx.Get(Table.Fsm, Keys.Fsm(_rangeStart, $"sent/{target}")) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

    public void SetLastSentTo(int target, ulong sequence) => Write(Table.Fsm, Keys.Fsm(_rangeStart, $"sent/{target}"), U64(sequence));

    private ulong LastSequence(string name) =>
        _tx.Get(Table.Fsm, Keys.Fsm(_rangeStart, "seq/" + name)) is { } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

    private ulong NextSequence(string name)
    {
        var next = LastSequence(name) + 1;
        Write(Table.Fsm, Keys.Fsm(_rangeStart, "seq/" + name), U64(next));
        return next;
    }

    private static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    // ---- the one write path: ownership check ------------------------------------------------------

    private void Write(Table table, byte[] key, byte[]? value)
    {
        CheckOwned(Keys.PartitionKeyOf(key));
        if (value is null)
        {
            _tx.Delete(table, key);
        }
        else
        {
            _tx.Put(table, key, value);
        }
    }

    private void CheckOwned(ulong partitionKey)
    {
        if (!_map.Owns(_partition, partitionKey))
        {
            throw new PartitionOwnershipException(_partition, partitionKey);
        }
    }

    private sealed record Cached(InvocationRecord Record, InvocationPhase? LoadedPhase)
    {
        public bool Dirty { get; set; }

        public bool Deleted { get; set; }
    }
}

/// <summary>A write outside the partition's key range: a bug in the state machine, never a data problem.</summary>
public sealed class PartitionOwnershipException(int partition, ulong partitionKey)
    : InvalidOperationException($"Partition {partition} must not write partition key {partitionKey:x16}: it belongs to another partition.");
