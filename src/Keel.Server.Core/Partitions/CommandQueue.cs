using System.Collections.Concurrent;

namespace Keel.Server.Partitions;

/// <summary>
/// A partition's inbound commands. Internal work (invoker effects, timers, hand-overs between
/// partitions) is never refused and is taken first, so work in progress drains; new requests from
/// outside are bounded, and refused when the partition is this far behind (backpressure).
/// </summary>
internal sealed class CommandQueue(int externalCapacity)
{
    private readonly ConcurrentQueue<PartitionCommand> _internal = new();
    private readonly ConcurrentQueue<PartitionCommand> _external = new();
    private readonly object _gate = new();
    private int _externalCount;
    private int _pending;
    private volatile bool _closed;

    public int Depth => _internal.Count + Volatile.Read(ref _externalCount);

    public void Add(PartitionCommand command)
    {
        _internal.Enqueue(command);
        Signal();
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
                batch.Add(command);
            }

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
            left.Add(command);
        }

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
