using System.Collections.Concurrent;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;

namespace Keel.Server.Tests.Invoker;

/// <summary>
/// The partition's side of an invoker in tests: records every effect, completes <see cref="Failed"/> with the first
/// failed attempt; with <see cref="RoomAfter"/> set, has no room once that many effects arrived, until <see cref="OpenRoom"/>.
/// </summary>
internal sealed class RecordingSink : IInvokerEffectSink
{
    private readonly TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<InvokerEffect> Effects { get; } = new();

    public TaskCompletionSource<InvokerEffect.Failed> Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int? RoomAfter { get; set; }

    /// <summary>Completed when an attempt first found no room.</summary>
    public TaskCompletionSource Waiting { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Submit(InvokerEffect effect)
    {
        Effects.Enqueue(effect);
        if (effect is InvokerEffect.Failed failed)
        {
            Failed.TrySetResult(failed);
        }
    }

    public ValueTask WaitForRoomAsync(InvocationId id, CancellationToken cancellationToken)
    {
        if (RoomAfter is not { } limit || Effects.Count < limit || _room.Task.IsCompleted)
        {
            return ValueTask.CompletedTask;
        }

        Waiting.TrySetResult();
        return new ValueTask(_room.Task.WaitAsync(cancellationToken));
    }

    public void OpenRoom() => _room.TrySetResult();
}
