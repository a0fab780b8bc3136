using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Keel.Protocol.Ids;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage.Migrations;

/// <summary>
/// Writes records into a store exactly as the format-1 server did (its key layouts and JSON, restated
/// here independently of the migration's own reading of them), so the migration is tested against that
/// layout, not against itself. The real thing, written by the old build, is Keel.Server.Tests' fixture.
/// </summary>
internal sealed class Format1Store(IKeyValueStore store)
{
    public IKeyValueStore Store => store;

    public Format1Store Partitions(int count) => Put(Table.Meta, Encoding.UTF8.GetBytes("partitions"), Encoding.UTF8.GetBytes(count.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public Format1Store Counter(string name, ulong value) => Put(Table.Meta, Encoding.UTF8.GetBytes(name), U64(value));

    public Format1Store Status(InvocationId id, JsonObject json)
    {
        json["Id"] = id.ToString();
        return Put(Table.Status, id.ToBytes(), Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    public Format1Store Journal(InvocationId id, uint index, ushort type, byte[] payload)
    {
        var key = new byte[InvocationId.ByteLength + 4];
        id.WriteTo(key);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(InvocationId.ByteLength), index);
        byte[] value = [.. U16(type), .. payload];
        return Put(Table.Journal, key, value);
    }

    public Format1Store State(string service, string key, string name, byte[] value) => Put(Table.State, [.. Text(service), .. Text(key), .. Encoding.UTF8.GetBytes(name)], value);

    public Format1Store Lock(string service, string key, InvocationId holder) => Put(Table.Locks, [.. Text(service), .. Text(key)], holder.ToBytes());

    public Format1Store Inbox(string service, string key, ulong sequence, InvocationId id) => Put(Table.Inbox, [.. Text(service), .. Text(key), .. U64(sequence)], id.ToBytes());

    public Format1Store Idempotency(string service, string? key, string handler, string idempotencyKey, InvocationId id) =>
        Put(Table.Idempotency, [.. Text(service), .. Text(key ?? string.Empty), .. Text(handler), .. Text(idempotencyKey)], id.ToBytes());

    public Format1Store WorkflowRun(string service, string key, InvocationId id) => Idempotency(service, key, "run", "\u0001workflow", id);

    public Format1Store Promise(string service, string key, string name, JsonObject result) =>
        Put(Table.Promises, [.. Text(service), .. Text(key), .. Text(name)], Encoding.UTF8.GetBytes(result.ToJsonString()));

    public Format1Store PromiseListener(string service, string key, string name, InvocationId waiter, uint completionId) =>
        Put(Table.Promises, [.. Text(service), .. Text(key), .. Text(name), 0x01, .. waiter.ToBytes()], U32(completionId));

    public Format1Store Timer(DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId = 0) =>
        Put(Table.Timers, [.. I64(at.ToUnixTimeMilliseconds()), .. id.ToBytes(), (byte)kind, .. U32(completionId)], []);

    public Format1Store Outbox(int source, ulong sequence, JsonObject entry) =>
        Put(Table.Outbox, [.. I32(source), .. U64(sequence)], Encoding.UTF8.GetBytes(entry.ToJsonString()));

    private Format1Store Put(Table table, byte[] key, byte[] value)
    {
        store.Commit([new WriteOp(table, key, value)]);
        return this;
    }

    private static byte[] Text(string s) => [.. I32(Encoding.UTF8.GetByteCount(s)), .. Encoding.UTF8.GetBytes(s)];

    private static byte[] U16(ushort v)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, v);
        return b;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private static byte[] I32(int v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(b, v);
        return b;
    }

    private static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    private static byte[] I64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, v);
        return b;
    }
}
