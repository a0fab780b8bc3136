using System.Collections.Concurrent;

namespace Keel.Server.Partitions;

/// <summary>
/// A partition's inbound commands. Internal work (invoker effects, timers, hand-overs between
/// partitions) is never refused and is taken first, so work in progress drains; new requests from
/// outside are bounded, and refused when the partition is this far behind (backpressure).
/// Internal work cannot be refused (an effect refused would be lost), so it is bounded by its
/// producers instead: those that can wait (an attempt reading its deployment's stream) ask for
/// <see cref="WaitForRoomAsync"/> first, which holds them while more than
/// <c>internalRoom</c> internal commands wait; the others (timers) have their own watermark.
/// </summary>
internal sealed class CommandQueue(int externalCapacity, int internalRoom = int.MaxValue)
{
    private readonly ConcurrentQueue<PartitionCommand> _internal = new();
    private readonly ConcurrentQueue<PartitionCommand> _external = new();
    private readonly object _gate = new();
    private int _internalCount;
    private int _externalCount;
    private int _pending;
    private volatile bool _closed;

    // Completed (and replaced) when the internal backlog falls below internalRoom; null while there is room.
    private TaskCompletionSource? _room;

    public int Depth => Volatile.Read(ref _internalCount) + Volatile.Read(ref _externalCount);

    public void Add(PartitionCommand command)
    {
        Interlocked.Increment(ref _internalCount);
        _internal.Enqueue(command);
        Signal();
    }

    /// <summary>
    /// Completes at once while the internal backlog is below its room, else once the partition has
    /// taken enough of it (or the queue closed: a stopped partition holds nobody).
    /// </summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (_closed || Volatile.Read(ref _internalCount) < internalRoom)
        {
            return ValueTask.CompletedTask;
        }

        TaskCompletionSource room;
        lock (_gate)
        {
            room = _room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        // A Take that looked for waiters before this one was published would not open it: look again.
        OpenRoom();
        return room.Task.IsCompleted ? ValueTask.CompletedTask : new ValueTask(room.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Lets waiting producers go once the backlog is below the room again (or the queue closed).</summary>
    private void OpenRoom()
    {
        if (Volatile.Read(ref _room) is null || (!_closed && Volatile.Read(ref _internalCount) >= internalRoom))
        {
            return;
        }

        TaskCompletionSource? room;
        lock (_gate)
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    public bool TryAddExternal(PartitionCommand command)
    {
        if (Interlocked.Increment(ref _externalCount) > externalCapacity)
        {
            Interlocked.Decrement(ref _externalCount);
            return false;
        }

        _external.Enqueue(command);
        Signal();
        return true;
    }

    /// <summary>Blocks until commands are there; fills <paramref name="batch"/> (internal first). False once closed and empty.</summary>
    public bool Take(List<PartitionCommand> batch, int max)
    {
        while (true)
        {
            Interlocked.Exchange(ref _pending, 0);
            while (batch.Count < max && _internal.TryDequeue(out var command))
            {
                Interlocked.Decrement(ref _internalCount);
                batch.Add(command);
            }

            OpenRoom();

            while (batch.Count < max && _external.TryDequeue(out var command))
            {
                Interlocked.Decrement(ref _externalCount);
                batch.Add(command);
            }

            if (batch.Count > 0)
            {
                return true;
            }

            if (_closed)
            {
                return false;
            }

            // Block without spinning until a producer signals (or already has since the reset above).
            lock (_gate)
            {
                if (Volatile.Read(ref _pending) == 0 && !_closed)
                {
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    /// <summary>Everything still queued (after a fatal failure: each gets an error answer).</summary>
    public List<PartitionCommand> Drain()
    {
        var left = new List<PartitionCommand>();
        while (_internal.TryDequeue(out var command))
        {
            Interlocked.Decrement(ref _internalCount);
            left.Add(command);
        }

        OpenRoom();

        while (_external.TryDequeue(out var command))
        {
            Interlocked.Decrement(ref _externalCount);
            left.Add(command);
        }

        return left;
    }

    public void Close()
    {
        _closed = true;
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }

        OpenRoom();
    }

    private void Signal()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            lock (_gate)
            {
                Monitor.Pulse(_gate);
            }
        }
    }
}
