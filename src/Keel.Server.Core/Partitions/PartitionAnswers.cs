using Keel.Protocol.Ids;
using Keel.Server.Contracts;

namespace Keel.Server.Partitions;

/// <summary>A request from the HTTP shell: its answer, and optionally the invocation's eventual result.</summary>
public sealed class PendingRequest(bool waitForResult)
{
    public TaskCompletionSource<object> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<InvocationResult>? Completion { get; } =
        waitForResult ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;
}

/// <summary>
/// A caller was waiting for the result of an invocation that had been accepted, and the invocation's
/// partition stopped here (moved to another node, or its storage failed). The invocation goes on
/// wherever the partition is served next: the caller should attach to it by <see cref="Id"/>, never
/// send the request again (without an idempotency key that would run it twice). The cluster's shell
/// follows it to the new owner; otherwise clients get 503 with the id in <c>x-restate-id</c>.
/// </summary>
public sealed class InvocationMovedException(InvocationId id, Exception inner)
    : Exception($"Invocation {id} goes on elsewhere ({inner.Message}); attach to it: GET /restate/invocation/{id}/attach.", inner)
{
    public InvocationId Id { get; } = id;
}

/// <summary>The partition cannot serve (its storage failed, or it is stopping): clients get 503.</summary>
public sealed class PartitionUnavailableException(int partition, string reason, Exception? inner = null)
    : Exception($"Partition {partition} is unavailable: {reason}", inner);

/// <summary>
/// The partition is served by another node of the cluster: the HTTP shell forwards the request to it
/// (or answers 503 when no node serves it right now).
/// </summary>
public sealed class PartitionNotOwnedException(int partition)
    : Exception($"Partition {partition} is not served by this node.")
{
    public int Partition { get; } = partition;
}

/// <summary>The partition's queue is full: clients should retry later (429).</summary>
public sealed class OverloadedException(string message) : Exception(message);

/// <summary>The server failed to apply a request (a bug, not bad input): clients get 500.</summary>
public sealed class InternalErrorException(string message, Exception inner) : Exception(message, inner);
