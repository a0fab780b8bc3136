using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Keel.Protocol.Ids;
using Keel.Server.Model;
using Keel.Server.Partitions;

namespace Keel.Server.Storage.Migrations.Format1;

/// <summary>
/// Format 1 → 2. Format 1 (before dfc30fd) kept JSON status records, keys without a partition key,
/// timers and outbox entries in one global range each, and its counters in Meta; its partitions were
/// the partition key modulo the count, format 2's are contiguous ranges. What changes, table by table:
/// <list type="bullet">
/// <item>Status: JSON → protobuf (same key); running invocations enter the active index, completed ones
/// the retention index (their journal was deleted at completion in format 1, so none is kept).</item>
/// <item>Journal: unchanged (format 2 reads entries without an append time).</item>
/// <item>State, Locks, Inbox, Promises: the object's partition key is prepended; promise values JSON → protobuf.
/// Inbox entries keep their sequence, so queued invocations keep their order.</item>
/// <item>Idempotency: the idempotent partition key is prepended; a workflow's run marker becomes format 2's.</item>
/// <item>Timers: the owning partition's range start is prepended.</item>
/// <item>Outbox: hand-overs not yet applied by their target move to the outbox of a partition other
/// than the target's, renumbered in order and chained; applied ones (awaiting only their ack) are dropped.</item>
/// <item>Meta: the sequence counters become each partition's Fsm counters; then the format marker.</item>
/// </list>
/// Crash safety: see <see cref="IStorageMigration"/>. Each converted entry is deleted in the batch that
/// writes its new form, and an entry already in the new form is recognised (status values are protobuf,
/// not JSON; keys carry a partition key that hashes right; timer keys are longer), so a rerun continues.
/// The outbox, the counters and the format marker go in one last batch.
/// </summary>
public sealed class Format1To2 : IStorageMigration
{
    private const int Page = 256;

    public int From => 1;

    public string Description => "JSON statuses to protobuf, partition-prefixed keys, range-owned timers and outbox, retention and active indexes";

    public void Run(IKeyValueStore store, PartitionMap map, MigrationWriter writer)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(writer);
        var report = writer.Report;
        var inboxSequences = InboxSequences(store);
        var retryTimers = RetryTimers(store);

        ForEachPage(store, Table.Status, (key, value) =>
        {
            if (value.Length == 0 || value[0] != (byte)'{')
            {
                return;   // protobuf: converted by an interrupted run
            }

            var id = InvocationId.FromBytes(key);
            var record = ToRecord(Format1Json.Read<StatusV1>(value), id, inboxSequences, retryTimers);
            var rangeStart = map.RangeStart(map.PartitionOf(id.PartitionKey));
            writer.Put(Table.Status, key, RecordCodec.Encode(record));
            if (record.Phase == InvocationPhase.Invoked)
            {
                writer.Put(Table.Active, Keys.Active(rangeStart, id), []);
            }

            if (record is { Phase: InvocationPhase.Completed, RetainUntil: { } until })
            {
                writer.Put(Table.Retention, Keys.Retention(rangeStart, until, id), []);
            }

            report.Count("status/" + record.Phase.ToString().ToLowerInvariant());
        }, writer);

        // Journal entries keep their key and value; counted so the report says what the directory holds.
        report.Count("journal entries (kept as they are)", store.Scan(Table.Journal, [], null).LongCount());

        ForEachPage(store, Table.State, (key, value) =>
        {
            if (Format1Keys.IsFormat2(key, 2, ObjectKey))
            {
                return;
            }

            Move(writer, Table.State, key, ObjectPartitionKey(key, 2, Table.State), value);
            report.Count("state");
        }, writer);

        ForEachPage(store, Table.Locks, (key, value) =>
        {
            if (Format1Keys.IsFormat2(key, 2, ObjectKey))
            {
                return;
            }

            Move(writer, Table.Locks, key, ObjectPartitionKey(key, 2, Table.Locks), value);
            report.Count("locks");
        }, writer);

        ForEachPage(store, Table.Inbox, (key, value) =>
        {
            if (Format1Keys.IsFormat2(key, 2, ObjectKey))
            {
                return;
            }

            Move(writer, Table.Inbox, key, ObjectPartitionKey(key, 2, Table.Inbox), value);
            report.Count("inbox entries");
        }, writer);

        ForEachPage(store, Table.Promises, (key, value) =>
        {
            if (Format1Keys.IsFormat2(key, 2, ObjectKey))
            {
                return;
            }

            var partitionKey = ObjectPartitionKey(key, 3, Table.Promises);
            Format1Keys.TryReadTexts(key, 0, 3, out _, out var end);
            if (end == key.Length)
            {
                var result = Format1Json.Read<ResultV1>(value);
                Move(writer, Table.Promises, key, partitionKey, RecordCodec.EncodePromise(ToResult(result)!));
                report.Count("promises");
            }
            else
            {
                // A listener (0x01, then the waiting invocation): its value (the completion id) is unchanged.
                Move(writer, Table.Promises, key, partitionKey, value);
                report.Count("promise listeners");
            }
        }, writer);

        ForEachPage(store, Table.Idempotency, (key, value) =>
        {
            if (Format1Keys.IsFormat2(key, 4, IdempotentKey) || Format1Keys.IsFormat2(key, 3, WorkflowRunKey))
            {
                return;
            }

            if (!Format1Keys.TryReadTexts(key, 0, 4, out var parts, out var end) || end != key.Length)
            {
                throw Unreadable(Table.Idempotency, key);
            }

            writer.Delete(Table.Idempotency, key);
            if (parts[2] == "run" && parts[3] == "\u0001workflow")
            {
                writer.Put(Table.Idempotency, Keys.WorkflowRun(parts[0], parts[1]), value);
                report.Count("workflow ids");
            }
            else
            {
                writer.Put(Table.Idempotency, Keys.Idempotency(parts[0], parts[1], parts[2], parts[3]), value);
                report.Count("idempotency keys");
            }
        }, writer);

        ForEachPage(store, Table.Timers, (key, _) =>
        {
            if (key.Length != Format1Keys.TimerLength)
            {
                return;
            }

            var at = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(key));
            var id = InvocationId.FromBytes(key.AsSpan(8, InvocationId.ByteLength));
            var kind = (TimerKind)key[8 + InvocationId.ByteLength];
            var completion = BinaryPrimitives.ReadUInt32BigEndian(key.AsSpan(9 + InvocationId.ByteLength));
            writer.Delete(Table.Timers, key);
            writer.Put(Table.Timers, Keys.Timer(map.RangeStart(map.PartitionOf(id.PartitionKey)), at, id, kind, completion), []);
            report.Count("timers/" + kind.ToString().ToLowerInvariant());
        }, writer);

        writer.Flush();
        FinishWithOutboxAndCounters(store, map, writer);
    }

    /// <summary>The last batch: pending hand-overs, the partitions' counters, old Meta keys out, the format marker in.</summary>
    private static void FinishWithOutboxAndCounters(IKeyValueStore store, PartitionMap map, MigrationWriter writer)
    {
        var report = writer.Report;
        var meta = store.Scan(Table.Meta, [], null).ToList();
        ulong Counter(string name) =>
            meta.FirstOrDefault(m => Encoding.UTF8.GetString(m.Key) == name).Value is { Length: 8 } bytes ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : 0;

        // Inbox sequences stay as they were, so each partition's counter must pass every old one.
        var lastInbox = meta.Where(m => Encoding.UTF8.GetString(m.Key).StartsWith("seq/inbox/", StringComparison.Ordinal))
            .Select(m => BinaryPrimitives.ReadUInt64BigEndian(m.Value)).DefaultIfEmpty(0UL).Max();

        var lastOutboxSequence = new Dictionary<int, ulong>();
        var lastSent = new Dictionary<(int Source, int Target), ulong>();
        foreach (var (key, value) in store.Scan(Table.Outbox, [], null).ToList())
        {
            if (key.Length != Format1Keys.OutboxLength)
            {
                continue;
            }

            writer.Delete(Table.Outbox, key);
            var oldSource = BinaryPrimitives.ReadInt32BigEndian(key);
            var oldSequence = BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(4));
            var entry = Format1Json.Read<OutboxEntryV1>(value);
            if (oldSequence <= Counter($"delivered/{entry.Target}/{oldSource}"))
            {
                report.Count("outbox entries already applied (dropped)");
                continue;
            }

            var op = ToRemoteOp(entry.Op);
            var target = map.PartitionOf(InvocationId.Parse(TargetOf(op)).PartitionKey);
            var source = map.Count == 1 ? 0 : (target + 1) % map.Count;
            var sequence = lastOutboxSequence.GetValueOrDefault(source) + 1;
            var previous = lastSent.GetValueOrDefault((source, target));
            writer.Put(Table.Outbox, Keys.Outbox(map.RangeStart(source), sequence), OutboxCodec.Encode(target, op, previous));
            lastOutboxSequence[source] = sequence;
            lastSent[(source, target)] = sequence;
            report.Count("outbox entries");
        }

        for (var p = 0; p < map.Count; p++)
        {
            var rangeStart = map.RangeStart(p);
            if (lastInbox > 0)
            {
                writer.Put(Table.Fsm, Keys.Fsm(rangeStart, "seq/inbox"), U64(lastInbox));
            }

            if (lastOutboxSequence.TryGetValue(p, out var last))
            {
                writer.Put(Table.Fsm, Keys.Fsm(rangeStart, "seq/outbox"), U64(last));
            }
        }

        foreach (var ((source, target), sequence) in lastSent)
        {
            writer.Put(Table.Fsm, Keys.Fsm(map.RangeStart(source), $"sent/{target}"), U64(sequence));
        }

        foreach (var (key, _) in meta)
        {
            var name = Encoding.UTF8.GetString(key);
            if (name.StartsWith("seq/", StringComparison.Ordinal) || name.StartsWith("delivered/", StringComparison.Ordinal))
            {
                writer.Delete(Table.Meta, key);
                report.Count("counters");
            }
        }

        writer.Put(Table.Meta, Keys.Meta("format"), Encoding.UTF8.GetBytes("2"));
        writer.Flush();
    }

    private static InvocationRecord ToRecord(StatusV1 v1, InvocationId id, Dictionary<InvocationId, ulong> inboxSequences, Dictionary<InvocationId, DateTimeOffset> retryTimers)
    {
        var phase = (InvocationPhase)v1.Phase;
        var completed = phase == InvocationPhase.Completed;
        return new InvocationRecord
        {
            Id = id,
            Service = v1.Service,
            Handler = v1.Handler,
            Key = v1.Key,
            ServiceType = v1.ServiceType,
            HandlerKind = v1.HandlerKind,
            Phase = phase,
            Attempt = v1.Attempt,
            DeploymentId = v1.DeploymentId,
            ProtocolVersion = v1.ProtocolVersion,

            // Format 1 deleted a completed invocation's journal but left its length in the status.
            JournalLength = completed ? 0 : v1.JournalLength,
            CommandCount = completed ? 0 : v1.CommandCount,
            RetryCountSinceLastStoredEntry = v1.RetryCountSinceLastStoredEntry,
            FailedAttempts = v1.FailedAttempts,
            LastStoredEntryAt = v1.LastStoredEntryAt,
            CallerId = v1.CallerId,
            CallerCompletionId = v1.CallerCompletionId,
            AttachedCallers = [.. (v1.AttachedCallers ?? []).Select(c => new CallerRef(c.Id, c.CompletionId))],
            IdempotencyKey = v1.IdempotencyKey,
            RandomSeed = v1.RandomSeed,
            CreatedAt = v1.CreatedAt,
            ExecutionTime = v1.ExecutionTime,
            PendingOutput = ToResult(v1.PendingOutput),
            Result = ToResult(v1.Result),
            LastFailure = v1.LastFailure is { } failure ? ToFailure(failure, v1.Attempt) : null,
            RetainUntil = v1.RetainUntil,
            WaitingCompletions = v1.WaitingCompletions ?? [],
            WaitingSignals = v1.WaitingSignals ?? [],
            WaitingNamedSignals = v1.WaitingNamedSignals ?? [],
            InboxSequence = phase == InvocationPhase.Inboxed ? inboxSequences.GetValueOrDefault(id) : 0,

            // Format 1 kept no modification time: the last journal append is the closest it knew.
            ModifiedAt = v1.LastStoredEntryAt,
            InboxedAt = phase == InvocationPhase.Inboxed ? v1.CreatedAt : null,
            NextRetryAt = phase == InvocationPhase.BackingOff && retryTimers.TryGetValue(id, out var retry) ? retry : null,
        };
    }

    private static ResultRecord? ToResult(ResultV1? r) =>
        r is null ? null : new ResultRecord(r.Success, r.Value, r.Code, r.Message, r.Metadata);

    /// <summary>Format 1 kept the last failure as text, "[code] message" when it had a code.</summary>
    private static FailureInfo ToFailure(string text, int attempt)
    {
        var match = Regex.Match(text, @"^\[(\d{1,5})\] (.*)$", RegexOptions.Singleline, TimeSpan.FromSeconds(1));
        return match.Success
            ? new FailureInfo(uint.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value, attempt)
            : new FailureInfo(500, text, attempt);
    }

    private static RemoteOp ToRemoteOp(RemoteOpV1 op) => op switch
    {
        CreateChildV1 c => new RemoteOp.CreateChild(c.ChildId, c.Service, c.Handler, c.Key, c.Parameter, c.Headers, c.IdempotencyKey, c.CallerId, c.CallerCompletionId, c.InvokeTime),
        NotifyV1 n => new RemoteOp.NotifyInvocation(n.TargetId, n.Type, n.Payload),
        CancelV1 c => new RemoteOp.CancelInvocation(c.TargetId),
        KillV1 k => new RemoteOp.KillInvocation(k.TargetId),
        _ => throw new InvalidDataException($"An outbox operation of format 1 this migration does not know: {op.GetType().Name}."),
    };

    private static string TargetOf(RemoteOp op) => op switch
    {
        RemoteOp.CreateChild c => c.ChildId,
        RemoteOp.NotifyInvocation n => n.TargetId,
        RemoteOp.CancelInvocation c => c.TargetId,
        RemoteOp.KillInvocation k => k.TargetId,
        _ => throw new InvalidDataException(op.GetType().Name),
    };

    /// <summary>Inboxed invocations and their entry's sequence (the last 8 bytes of the key in both formats).</summary>
    private static Dictionary<InvocationId, ulong> InboxSequences(IKeyValueStore store) =>
        store.Scan(Table.Inbox, [], null)
            .GroupBy(kv => InvocationId.FromBytes(kv.Value))
            .ToDictionary(g => g.Key, g => g.Select(kv => BinaryPrimitives.ReadUInt64BigEndian(kv.Key.AsSpan(kv.Key.Length - 8))).Max());

    /// <summary>When each backing-off invocation's retry is due (format 1 kept it in the timer only).</summary>
    private static Dictionary<InvocationId, DateTimeOffset> RetryTimers(IKeyValueStore store)
    {
        var due = new Dictionary<InvocationId, DateTimeOffset>();
        foreach (var (key, _) in store.Scan(Table.Timers, [], null))
        {
            var offset = key.Length == Format1Keys.TimerLength ? 0 : 8;
            if (key.Length != offset + Format1Keys.TimerLength || (TimerKind)key[offset + 8 + InvocationId.ByteLength] != TimerKind.Retry)
            {
                continue;
            }

            var id = InvocationId.FromBytes(key.AsSpan(offset + 8, InvocationId.ByteLength));
            var at = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(key.AsSpan(offset)));
            due[id] = due.TryGetValue(id, out var other) && other < at ? other : at;
        }

        return due;
    }

    private static ulong ObjectKey(string[] parts) => PartitionMap.KeyOf(parts[0], parts[1]);

    private static ulong IdempotentKey(string[] parts) => PartitionMap.IdempotentKeyOf(parts[0], parts[1], parts[2], parts[3]);

    private static ulong WorkflowRunKey(string[] parts) => parts[2] == Keys.WorkflowRunMarker ? PartitionMap.KeyOf(parts[0], parts[1]) : ~PartitionMap.KeyOf(parts[0], parts[1]);

    /// <summary>The partition key of a format-1 key that starts with an object's service and key.</summary>
    private static ulong ObjectPartitionKey(byte[] key, int texts, Table table) =>
        Format1Keys.TryReadTexts(key, 0, texts, out var parts, out _) ? PartitionMap.KeyOf(parts[0], parts[1]) : throw Unreadable(table, key);

    private static void Move(MigrationWriter writer, Table table, byte[] oldKey, ulong partitionKey, byte[] value)
    {
        writer.Delete(table, oldKey);
        writer.Put(table, Format1Keys.Prefixed(partitionKey, oldKey), value);
    }

    /// <summary>Reads the table a page at a time from a cursor (never from the front again), converting each entry as one record.</summary>
    private static void ForEachPage(IKeyValueStore store, Table table, Action<byte[], byte[]> convert, MigrationWriter writer)
    {
        byte[] from = [];
        while (true)
        {
            var page = store.Scan(table, from, null).Take(Page).ToList();
            foreach (var (key, value) in page)
            {
                convert(key, value);
                writer.EndRecord();
            }

            if (page.Count < Page)
            {
                return;
            }

            from = [.. page[^1].Key, 0];
        }
    }

    private static InvalidDataException Unreadable(Table table, byte[] key) =>
        new($"A {table} key that is neither format 1 nor format 2: {Convert.ToHexString(key)}.");

    private static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }
}
