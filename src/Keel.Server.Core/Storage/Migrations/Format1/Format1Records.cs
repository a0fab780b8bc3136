using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Keel.Protocol.Manifest;

namespace Keel.Server.Storage.Migrations.Format1;

// The records of storage format 1 exactly as that server wrote them: System.Text.Json with default
// options (property names as declared, enums as numbers) for statuses, promise values and outbox
// entries. Frozen copies: they must never follow later changes of the live model.

/// <summary>A format-1 invocation status (the JSON value of the Status table).</summary>
internal sealed record StatusV1
{
    public required string Id { get; init; }
    public required string Service { get; init; }
    public required string Handler { get; init; }
    public string? Key { get; init; }
    public ServiceType ServiceType { get; init; }
    public HandlerType? HandlerKind { get; init; }
    public int Phase { get; init; }
    public int Attempt { get; init; }
    public string? DeploymentId { get; init; }
    public int ProtocolVersion { get; init; }
    public uint JournalLength { get; init; }
    public uint CommandCount { get; init; }
    public uint RetryCountSinceLastStoredEntry { get; init; }
    public int FailedAttempts { get; init; }
    public DateTimeOffset LastStoredEntryAt { get; init; }
    public string? CallerId { get; init; }
    public uint? CallerCompletionId { get; init; }
    public List<CallerV1>? AttachedCallers { get; init; }
    public string? IdempotencyKey { get; init; }
    public ulong RandomSeed { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExecutionTime { get; init; }
    public ResultV1? PendingOutput { get; init; }
    public ResultV1? Result { get; init; }
    public string? LastFailure { get; init; }
    public DateTimeOffset? RetainUntil { get; init; }
    public List<uint>? WaitingCompletions { get; init; }
    public List<uint>? WaitingSignals { get; init; }
    public List<string>? WaitingNamedSignals { get; init; }
}

internal sealed record CallerV1(string Id, uint CompletionId);

/// <summary>A format-1 result (an invocation's output, a promise's value).</summary>
internal sealed record ResultV1(bool Success, byte[]? Value, ushort Code = 0, string? Message = null, Dictionary<string, string>? Metadata = null);

/// <summary>A format-1 outbox entry: the target partition (format 1's: partition key modulo the count) and the operation.</summary>
internal sealed record OutboxEntryV1(int Target, RemoteOpV1 Op);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(CreateChildV1), "create")]
[JsonDerivedType(typeof(NotifyV1), "notify")]
[JsonDerivedType(typeof(CancelV1), "cancel")]
[JsonDerivedType(typeof(KillV1), "kill")]
internal abstract record RemoteOpV1;

internal sealed record CreateChildV1(
    string ChildId, string Service, string Handler, string Key, byte[] Parameter, List<KeyValuePair<string, string>> Headers,
    string? IdempotencyKey, string? CallerId, uint? CallerCompletionId, DateTimeOffset? InvokeTime) : RemoteOpV1;

internal sealed record NotifyV1(string TargetId, ushort Type, byte[] Payload) : RemoteOpV1;

internal sealed record CancelV1(string TargetId) : RemoteOpV1;

internal sealed record KillV1(string TargetId) : RemoteOpV1;

internal static class Format1Json
{
    private static readonly JsonSerializerOptions Options = new();

    public static T Read<T>(byte[] json) => JsonSerializer.Deserialize<T>(json, Options) ?? throw new InvalidDataException($"An empty {typeof(T).Name} record.");
}

/// <summary>
/// Format 1's keys: the same parts as format 2's without the leading 8-byte partition key (texts are a
/// 4-byte big-endian length and UTF-8), per-partition tables keyed by format 1's partition number.
/// </summary>
internal static class Format1Keys
{
    /// <summary>Timers: due time (unix ms, i64), invocation id, kind, completion id.</summary>
    public const int TimerLength = 8 + Keel.Protocol.Ids.InvocationId.ByteLength + 1 + 4;

    /// <summary>Outbox: source partition (i32), sequence (u64).</summary>
    public const int OutboxLength = 12;

    /// <summary>Reads <paramref name="count"/> texts from <paramref name="offset"/>; false when the bytes are not that shape.</summary>
    public static bool TryReadTexts(ReadOnlySpan<byte> key, int offset, int count, out string[] parts, out int end)
    {
        parts = new string[count];
        end = offset;
        for (var i = 0; i < count; i++)
        {
            if (key.Length < end + 4)
            {
                return false;
            }

            var size = BinaryPrimitives.ReadInt32BigEndian(key[end..]);
            if (size < 0 || key.Length < end + 4 + size)
            {
                return false;
            }

            try
            {
                parts[i] = new UTF8Encoding(false, true).GetString(key.Slice(end + 4, size));
            }
            catch (DecoderFallbackException)
            {
                return false;
            }

            end += 4 + size;
        }

        return true;
    }

    /// <summary>
    /// True when <paramref name="key"/> is already a format-2 key: a partition key, then texts whose
    /// hash (by <paramref name="partitionKeyOf"/>) is that partition key. A format-1 key passes this with
    /// a probability of 2^-64.
    /// </summary>
    public static bool IsFormat2(ReadOnlySpan<byte> key, int texts, Func<string[], ulong> partitionKeyOf) =>
        key.Length >= 8 + 4 * texts
        && TryReadTexts(key, 8, texts, out var parts, out _)
        && BinaryPrimitives.ReadUInt64BigEndian(key) == partitionKeyOf(parts);

    public static byte[] Prefixed(ulong partitionKey, ReadOnlySpan<byte> key)
    {
        var prefixed = new byte[8 + key.Length];
        BinaryPrimitives.WriteUInt64BigEndian(prefixed, partitionKey);
        key.CopyTo(prefixed.AsSpan(8));
        return prefixed;
    }
}
