using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Keel.Protocol.Ids;

/// <summary>
/// An invocation id: a partition key (u64) and a uuid (u128); 24 raw bytes on the wire
/// (both big-endian) and <c>inv_1</c> + base62 text for people and URLs.
/// </summary>
public readonly record struct InvocationId(ulong PartitionKey, UInt128 Uuid)
{
    /// <summary>The size of the binary form.</summary>
    public const int ByteLength = 24;
    /// <summary>The text prefix (followed by the format version, <c>1</c>).</summary>
    public const string Prefix = "inv_";
    private const char SchemeVersion = '1';
    private const int PartitionKeyWidth = 11;
    private const int UuidWidth = 22;
    /// <summary>The length of the text form.</summary>
    public const int StringLength = 4 + 1 + PartitionKeyWidth + UuidWidth;

    /// <summary>The 24-byte binary form, as carried in protocol messages.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Writes the binary form into the first <see cref="ByteLength"/> bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, PartitionKey);
        BinaryPrimitives.WriteUInt128BigEndian(destination[8..], Uuid);
    }

    /// <summary>Reads the binary form; throws when it is not <see cref="ByteLength"/> bytes.</summary>
    public static InvocationId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new FormatException($"An invocation id has {ByteLength} bytes, got {bytes.Length}.");
        }

        return new InvocationId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt128BigEndian(bytes[8..]));
    }

    /// <summary>
    /// The text form. Restate encodes each number after a byte swap (the big-endian bytes read as a
    /// little-endian integer); we do the same so ids read identically in both systems' tools.
    /// </summary>
    public override string ToString() =>
        Prefix + SchemeVersion
        + Base62.Encode(BinaryPrimitives.ReverseEndianness(PartitionKey), PartitionKeyWidth)
        + Base62.Encode(BinaryPrimitives.ReverseEndianness(Uuid), UuidWidth);

    /// <summary>Reads the text form (<c>inv_1…</c>); false when it is not one.</summary>
    public static bool TryParse(string? text, out InvocationId id)
    {
        id = default;
        if (text is null || text.Length != StringLength || !text.StartsWith(Prefix, StringComparison.Ordinal) || text[4] != SchemeVersion)
        {
            return false;
        }

        if (!Base62.TryDecode(text.AsSpan(5, PartitionKeyWidth), out var pk) || pk > ulong.MaxValue
            || !Base62.TryDecode(text.AsSpan(5 + PartitionKeyWidth, UuidWidth), out var uuid))
        {
            return false;
        }

        id = new InvocationId(BinaryPrimitives.ReverseEndianness((ulong)pk), BinaryPrimitives.ReverseEndianness(uuid));
        return true;
    }

    /// <summary>Reads the text form; throws <see cref="FormatException"/> when it is not one.</summary>
    public static InvocationId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not an invocation id.");

    /// <summary>A fresh id: random partition key unless given, and a time-ordered (ULID-like) uuid.</summary>
    public static InvocationId New(ulong? partitionKey = null, DateTimeOffset? now = null)
    {
        Span<byte> random = stackalloc byte[18];
        RandomNumberGenerator.Fill(random);
        var millis = (ulong)(now ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
        var uuid = ((UInt128)millis << 80) | ((UInt128)BinaryPrimitives.ReadUInt64BigEndian(random) << 16) | BinaryPrimitives.ReadUInt16BigEndian(random[8..]);
        return new InvocationId(partitionKey ?? BinaryPrimitives.ReadUInt64BigEndian(random[10..]), uuid);
    }

    /// <summary>A deterministic id (same inputs → same id), as used for workflow runs and idempotent calls.</summary>
    public static InvocationId Deterministic(ulong partitionKey, params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(',', parts)));
        return new InvocationId(partitionKey, BinaryPrimitives.ReadUInt128BigEndian(hash));
    }
}
