using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Keel.Server.Storage;

/// <summary>
/// How the 64-bit partition-key space is cut into a fixed number of contiguous ranges, one per
/// partition. Every stored key starts with a partition key, so each partition owns one contiguous
/// key range of every table and can range-scan its own data.
/// </summary>
public sealed class PartitionMap
{
    public PartitionMap(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
    }

    public int Count { get; }

    /// <summary>The partition whose range holds <paramref name="partitionKey"/>.</summary>
    public int PartitionOf(ulong partitionKey) => (int)(((UInt128)partitionKey * (UInt128)(ulong)Count) >> 64);

    /// <summary>The first partition key of the partition's range.</summary>
    public ulong RangeStart(int partition) =>
        partition == 0 ? 0 : (ulong)((((UInt128)(ulong)partition << 64) + (ulong)Count - 1) / (ulong)Count);

    /// <summary>The last partition key of the partition's range (inclusive).</summary>
    public ulong RangeEnd(int partition) => partition == Count - 1 ? ulong.MaxValue : RangeStart(partition + 1) - 1;

    public bool Owns(int partition, ulong partitionKey) => PartitionOf(partitionKey) == partition;

    /// <summary>A partition key inside the partition's range, spread by <paramref name="seed"/>.</summary>
    public ulong KeyWithin(int partition, ulong seed)
    {
        var start = RangeStart(partition);
        var width = (UInt128)RangeEnd(partition) - start + 1;
        return start + (ulong)((UInt128)seed % width);
    }

    /// <summary>Keyed targets hash service and key, so every invocation of one object key lands in one partition.</summary>
    public static ulong KeyOf(string service, string key) => Hash(service + "\0" + key);

    /// <summary>Same idempotent request, same partition: keyed targets hash their key, services the idempotency key.</summary>
    public static ulong IdempotentKeyOf(string service, string? key, string handler, string idempotencyKey) =>
        KeyOf(service, string.IsNullOrEmpty(key) ? handler + "\0" + idempotencyKey : key);

    public static ulong Hash(string text) => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
