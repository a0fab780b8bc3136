using System.Buffers.Binary;
using System.Security.Cryptography;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// How invocation ids are chosen. Ids are decided outside the state machine (ingress requests) or
/// derived from what is already journaled (calls from handlers), so applying a command is
/// deterministic: the same commands on the same state give the same ids.
/// </summary>
public static class InvocationIds
{
    /// <summary>
    /// The id of an ingress request: a workflow run or an idempotent request has a fixed id (so a
    /// duplicate names the same invocation); a keyed target lands with its key; the rest get a random
    /// id inside <paramref name="plainPartition"/>'s range.
    /// </summary>
    public static InvocationId ForRequest(InvocationRequest request, HandlerType? kind, PartitionMap map, int plainPartition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(map);
        if (kind == HandlerType.Workflow)
        {
            return WorkflowRun(request.Service, request.Key ?? string.Empty);
        }

        if (request.IdempotencyKey is { } ik)
        {
            return Idempotent(request.Service, request.Key, request.Handler, ik);
        }

        if (request.Key is not null)
        {
            return InvocationId.New(PartitionMap.KeyOf(request.Service, request.Key), now);
        }

        Span<byte> seed = stackalloc byte[8];
        RandomNumberGenerator.Fill(seed);
        return InvocationId.New(map.KeyWithin(plainPartition, BinaryPrimitives.ReadUInt64BigEndian(seed)), now);
    }

    /// <summary>
    /// Whether <see cref="ForRequest"/> draws the id at random (80 random bits, never derived from the
    /// request): no idempotency key, not a workflow run. Such an id names nothing in storage yet.
    /// </summary>
    public static bool IsDrawnAtRandom(InvocationRequest request, HandlerType? kind) =>
        kind != HandlerType.Workflow && (request ?? throw new ArgumentNullException(nameof(request))).IdempotencyKey is null;

    public static InvocationId WorkflowRun(string service, string key) =>
        InvocationId.Deterministic(PartitionMap.KeyOf(service, key), "ik", service, key, "run", "workflow");

    public static InvocationId Idempotent(string service, string? key, string handler, string idempotencyKey) =>
        InvocationId.Deterministic(PartitionMap.IdempotentKeyOf(service, key, handler, idempotencyKey), "ik", service, key ?? string.Empty, handler, idempotencyKey);

    /// <summary>
    /// A call's or send's target id, derived from the caller and the command's index in its journal:
    /// a replayed or re-applied command names the same child.
    /// </summary>
    public static InvocationId ForChild(InvocationId caller, uint commandIndex, string service, string handler, string key, ServiceType type, HandlerType kind, string? idempotencyKey)
    {
        if (kind == HandlerType.Workflow)
        {
            return WorkflowRun(service, key);
        }

        if (idempotencyKey is not null)
        {
            return Idempotent(service, type == ServiceType.Service ? null : key, handler, idempotencyKey);
        }

        var origin = caller.ToString() + "/" + commandIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var partitionKey = type == ServiceType.Service ? PartitionMap.Hash(origin) : PartitionMap.KeyOf(service, key);
        return InvocationId.Deterministic(partitionKey, "call", origin);
    }
}
