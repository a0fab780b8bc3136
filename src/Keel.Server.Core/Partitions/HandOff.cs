namespace Keel.Server.Partitions;

/// <summary>
/// A small bounded queue between two threads that blocks without spinning: the partition's
/// threads share two cores with everything else, and spinning waits cost more than they save.
/// </summary>
internal sealed class HandOff<T>(int capacity)
{
    private readonly Queue<T> _items = new();
    private bool _completed;

    /// <summary>Waits for room; false once completed.</summary>
    public bool TryAdd(T item)
    {
        lock (_items)
        {
            while (_items.Count >= capacity && !_completed)
            {
                Monitor.Wait(_items);
            }

            if (_completed)
            {
                return false;
            }

            _items.Enqueue(item);
            Monitor.PulseAll(_items);
            return true;
        }
    }

    /// <summary>Waits for an item; false once completed and empty.</summary>
    public bool TryTake(out T item)
    {
        lock (_items)
        {
            while (_items.Count == 0 && !_completed)
            {
                Monitor.Wait(_items);
            }

            if (_items.Count == 0)
            {
                item = default!;
                return false;
            }

            item = _items.Dequeue();
            Monitor.PulseAll(_items);
            return true;
        }
    }

    /// <summary>No more items will be added; takers drain what is left.</summary>
    public void Complete()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }
}
