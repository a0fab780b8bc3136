using System.Buffers.Binary;
using System.Text;
using Keel.Protocol.Ids;

namespace Keel.Server.Storage;

/// <summary>
/// Binary key layouts (on-disk format <see cref="StorageFormat.Version"/>). Every key of a
/// partitioned table starts with an 8-byte big-endian partition key: the invocation's, the object
/// key's hash, or — for per-partition tables (timers, outbox, retention, active) — the first key of
/// the partition's range. Keys sort so that prefix scans return entries in the order they matter.
/// </summary>
public static class Keys
{
    public static byte[] Invocation(InvocationId id) => id.ToBytes();

    public static byte[] JournalPrefix(InvocationId id) => id.ToBytes();

    public static byte[] JournalEntry(InvocationId id, uint index)
    {
        var key = new byte[InvocationId.ByteLength + 4];
        id.WriteTo(key);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(InvocationId.ByteLength), index);
        return key;
    }

    /// <summary>Partition key, then service and object key, each length-prefixed, so no object's keys can be a prefix of another's.</summary>
    public static byte[] Object(string service, string key)
    {
        var builder = new KeyBuilder(PartitionMap.KeyOf(service, key));
        builder.Text(service);
        builder.Text(key);
        return builder.ToArray();
    }

    public static byte[] StateEntry(string service, string key, string stateKey) => Append(Object(service, key), Encoding.UTF8.GetBytes(stateKey));

    public static string StateKeyOf(byte[] entryKey, int prefixLength) => Encoding.UTF8.GetString(entryKey.AsSpan(prefixLength));

    public static byte[] InboxEntry(string service, string key, ulong sequence)
    {
        var prefix = Object(service, key);
        var entry = new byte[prefix.Length + 8];
        prefix.CopyTo(entry, 0);
        BinaryPrimitives.WriteUInt64BigEndian(entry.AsSpan(prefix.Length), sequence);
        return entry;
    }

    public static byte[] Idempotency(string service, string? key, string handler, string idempotencyKey)
    {
        var builder = new KeyBuilder(PartitionMap.IdempotentKeyOf(service, key, handler, idempotencyKey));
        builder.Text(service);
        builder.Text(key ?? string.Empty);
        builder.Text(handler);
        builder.Text(idempotencyKey);
        return builder.ToArray();
    }

    /// <summary>The deduplication key of a workflow's run (one run per workflow id); it lives with the workflow's object key.</summary>
    public static byte[] WorkflowRun(string service, string? key)
    {
        var builder = new KeyBuilder(PartitionMap.KeyOf(service, key ?? string.Empty));
        builder.Text(service);
        builder.Text(key ?? string.Empty);
        builder.Text(WorkflowRunMarker);
        return builder.ToArray();
    }

    public static byte[] Promise(string service, string key, string name)
    {
        var builder = new KeyBuilder(PartitionMap.KeyOf(service, key));
        builder.Text(service);
        builder.Text(key);
        builder.Text(name);
        return builder.ToArray();
    }

    // ---- per-partition tables: prefixed by the partition's range start ---------------------------

    public static byte[] Timer(ulong rangeStart, DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId)
    {
        var key = new byte[8 + 8 + InvocationId.ByteLength + 1 + 4];
        BinaryPrimitives.WriteUInt64BigEndian(key, rangeStart);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), Math.Max(0, at.ToUnixTimeMilliseconds()));
        id.WriteTo(key.AsSpan(16));
        key[16 + InvocationId.ByteLength] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(17 + InvocationId.ByteLength), completionId);
        return key;
    }

    /// <summary>The first timer key due at or after <paramref name="at"/> in the partition.</summary>
    public static byte[] TimerBound(ulong rangeStart, DateTimeOffset at) => TimeBound(rangeStart, at);

    public static (DateTimeOffset At, InvocationId Id, TimerKind Kind, uint CompletionId) ParseTimer(byte[] key) => (
        DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(key.AsSpan(8))),
        InvocationId.FromBytes(key.AsSpan(16, InvocationId.ByteLength)),
        (TimerKind)key[16 + InvocationId.ByteLength],
        BinaryPrimitives.ReadUInt32BigEndian(key.AsSpan(17 + InvocationId.ByteLength)));

    public static byte[] Retention(ulong rangeStart, DateTimeOffset until, InvocationId id)
    {
        var key = TimeBound(rangeStart, until);
        return Append(key, id.ToBytes());
    }

    public static byte[] RetentionBound(ulong rangeStart, DateTimeOffset until) => TimeBound(rangeStart, until);

    public static InvocationId RetainedId(byte[] key) => InvocationId.FromBytes(key.AsSpan(16));

    public static byte[] Active(ulong rangeStart, InvocationId id) => Append(PartitionPrefix(rangeStart), id.ToBytes());

    public static InvocationId ActiveId(byte[] key) => InvocationId.FromBytes(key.AsSpan(8));

    public static byte[] Outbox(ulong rangeStart, ulong sequence)
    {
        var key = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(key, rangeStart);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(8), sequence);
        return key;
    }

    public static ulong OutboxSequence(byte[] key) => BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(8));

    public static byte[] Fsm(ulong rangeStart, string name) => Append(PartitionPrefix(rangeStart), Encoding.UTF8.GetBytes(name));

    public static byte[] PartitionPrefix(ulong partitionKey)
    {
        var key = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(key, partitionKey);
        return key;
    }

    public static ulong PartitionKeyOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt64BigEndian(key);

    /// <summary>A global (not partitioned) setting.</summary>
    public static byte[] Meta(string name) => Encoding.UTF8.GetBytes(name);

    /// <summary>
    /// Reads back the length-prefixed text parts of a key built from a partition key and texts
    /// (object, state, inbox, idempotency and promise keys): up to <paramref name="count"/> parts, and
    /// where the rest of the key begins. Introspection uses it; the partitions never need to.
    /// </summary>
    public static (string[] Parts, int End) ReadTexts(ReadOnlySpan<byte> key, int count)
    {
        var parts = new string[count];
        var offset = 8;
        for (var i = 0; i < count; i++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(key[offset..]);
            parts[i] = Encoding.UTF8.GetString(key.Slice(offset + 4, size));
            offset += 4 + size;
        }

        return (parts, offset);
    }

    /// <summary>The third part of a workflow's run deduplication key (see <see cref="WorkflowRun"/>).</summary>
    public const string WorkflowRunMarker = "\u0001workflow-run";

    private static byte[] TimeBound(ulong rangeStart, DateTimeOffset at)
    {
        var key = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(key, rangeStart);
        BinaryPrimitives.WriteInt64BigEndian(key.AsSpan(8), Math.Max(0, at.ToUnixTimeMilliseconds()));
        return key;
    }

    private static byte[] Append(byte[] prefix, ReadOnlySpan<byte> tail)
    {
        var key = new byte[prefix.Length + tail.Length];
        prefix.CopyTo(key, 0);
        tail.CopyTo(key.AsSpan(prefix.Length));
        return key;
    }

    /// <summary>Builds a key in one buffer: partition key, then length-prefixed UTF-8 parts.</summary>
    private ref struct KeyBuilder
    {
        private byte[] _buffer;
        private int _length;

        public KeyBuilder(ulong partitionKey)
        {
            _buffer = new byte[64];
            BinaryPrimitives.WriteUInt64BigEndian(_buffer, partitionKey);
            _length = 8;
        }

        public void Text(string text)
        {
            var size = Encoding.UTF8.GetByteCount(text);
            Ensure(4 + size);
            BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), size);
            Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length + 4));
            _length += 4 + size;
        }

        public readonly byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        private void Ensure(int more)
        {
            if (_length + more > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
            }
        }
    }
}

public enum TimerKind : byte
{
    /// <summary>A SleepCommand's wake-up: appends the SleepCompletion.</summary>
    Sleep = 1,

    /// <summary>A failed attempt's backoff elapsed: start the next attempt.</summary>
    Retry = 2,

    /// <summary>A delayed send's execution time arrived: the invocation starts (or joins its inbox).</summary>
    Scheduled = 3,
}

/// <summary>
/// The on-disk format: recorded on first start (Meta "format"), checked on every start.
/// </summary>
/// <remarks>
/// <para><b>The storage format policy.</b> Any change to what is stored — a key layout, a record's
/// encoding or meaning, a new index that existing data must already have — is a new format: raise
/// <see cref="Version"/> and add a migration step from the previous one (a small class implementing
/// <see cref="Migrations.IStorageMigration"/>, listed in <see cref="Migrations.StorageUpgrade.Steps"/>),
/// with a test that opens data of the old format. A change that old code would misread needs a new
/// format even when new code could read both. Adding a field that decodes to a correct default in old
/// records (a new protobuf field) needs none.</para>
/// <para>On start, and with <c>keel-server migrate</c>, a data directory of an older known format is
/// migrated step by step up to this one; each step is crash-safe (see
/// <see cref="Migrations.IStorageMigration"/>: atomic batches, converted records recognised, the format
/// marker written last), so a kill during a migration leaves a directory the next start finishes. A
/// newer format, or a marker that is not one, is refused at start. Migrations only go forward: rolling
/// back means starting the old build on a backup taken before (<c>keel-server backup</c>;
/// docs/server.md, "Upgrading").</para>
/// <para>Versions: 1 (before dfc30fd): JSON status records, keys without a partition key, partitions by
/// partition key modulo the count, counters in Meta, no format marker. 2: partition-prefixed keys,
/// protobuf status records, range-owned partitions, retention and active indexes, Fsm counters.</para>
/// </remarks>
public static class StorageFormat
{
    /// <summary>2: partition-prefixed keys, protobuf status records, retention/active indexes.</summary>
    public const int Version = 2;
}
