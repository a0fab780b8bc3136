using System.Buffers.Binary;
using System.Text;
using Keel.Protocol.Ids;

namespace Keel.Server.Storage;

/// <summary>Binary key layouts; ordered so prefix scans return entries in the order they matter.</summary>
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

    /// <summary>Service and object key, each length-prefixed, so no key can be a prefix of another.</summary>
    public static byte[] Object(string service, string key) => Concat(Text(service), Text(key));

    public static byte[] StateEntry(string service, string key, string stateKey) => Concat(Object(service, key), Encoding.UTF8.GetBytes(stateKey));

    public static string StateKeyOf(byte[] entryKey, int prefixLength) => Encoding.UTF8.GetString(entryKey.AsSpan(prefixLength));

    public static byte[] InboxEntry(string service, string key, ulong sequence)
    {
        var prefix = Object(service, key);
        var entry = new byte[prefix.Length + 8];
        prefix.CopyTo(entry, 0);
        BinaryPrimitives.WriteUInt64BigEndian(entry.AsSpan(prefix.Length), sequence);
        return entry;
    }

    public static byte[] Timer(DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId)
    {
        var key = new byte[8 + InvocationId.ByteLength + 1 + 4];
        BinaryPrimitives.WriteInt64BigEndian(key, Math.Max(0, at.ToUnixTimeMilliseconds()));
        id.WriteTo(key.AsSpan(8));
        key[8 + InvocationId.ByteLength] = (byte)kind;
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(9 + InvocationId.ByteLength), completionId);
        return key;
    }

    public static (DateTimeOffset At, InvocationId Id, TimerKind Kind, uint CompletionId) ParseTimer(byte[] key) => (
        DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(key)),
        InvocationId.FromBytes(key.AsSpan(8, InvocationId.ByteLength)),
        (TimerKind)key[8 + InvocationId.ByteLength],
        BinaryPrimitives.ReadUInt32BigEndian(key.AsSpan(9 + InvocationId.ByteLength)));

    public static byte[] Idempotency(string service, string? key, string handler, string idempotencyKey) =>
        Concat(Text(service), Text(key ?? string.Empty), Text(handler), Text(idempotencyKey));

    /// <summary>The deduplication key of a workflow's run (one run per workflow id).</summary>
    public static byte[] WorkflowRun(string service, string? key) => Idempotency(service, key, "run", "\u0001workflow");

    public static byte[] Promise(string service, string key, string name) => Concat(Object(service, key), Text(name));

    public static byte[] Meta(string name) => Encoding.UTF8.GetBytes(name);

    private static byte[] Text(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        var prefixed = new byte[bytes.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(prefixed, bytes.Length);
        bytes.CopyTo(prefixed, 4);
        return prefixed;
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
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
