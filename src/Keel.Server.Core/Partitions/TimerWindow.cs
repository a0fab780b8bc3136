using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// The partition's durable timers that are due soon, in memory. Only timers due before the horizon
/// (now + window) are held; the rest stay on disk and are loaded, by range scans of the partition's
/// timer keys, as the horizon moves on. Loads are paged by key, not by time: everything below the
/// load cursor (a timer key) is in memory or fired, everything at or above it is on disk. So a page
/// that ends inside one millisecond (a fan-out of sends all due "at 09:00") resumes at the next key of
/// that same millisecond. Memory is bounded by the window and the page size, not by how many timers
/// exist, and a start-up loads only the first page of the first window.
/// Firing is bounded too: a fired timer becomes a command in the partition's (unbounded, internal)
/// queue, so while that queue holds <c>watermark</c> commands or more no timer fires, and below it
/// only as many as fill it up to the watermark; the window looks again soon. After downtime a million
/// overdue timers thus cost one page in memory plus the watermark in the queue, not a million commands.
/// </summary>
internal sealed class TimerWindow : IDisposable
{
    private const int LoadLimit = 10_000;

    /// <summary>How soon the window looks again when it held due timers back (the queue was full).</summary>
    internal static readonly TimeSpan HoldBackRetry = TimeSpan.FromMilliseconds(10);

    private readonly Func<int>? _backlog;
    private readonly int _watermark;
    // Serializes a whole tick (choose, then fire), so two ticks (timer thread and an Add) neither
    // overshoot the watermark together nor interleave their fires out of due order.
    private readonly Lock _tickGate = new();
    private readonly IKeyValueStore _store;
    private readonly ulong _rangeStart;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly Action<byte[]> _fire;
    private readonly Lock _gate = new();
    private readonly SortedSet<(long At, byte[] Key)> _due = new(Comparer<(long At, byte[] Key)>.Create((a, b) =>
        a.At != b.At ? a.At.CompareTo(b.At) : ByteComparer.Instance.Compare(a.Key, b.Key)));
    private readonly HashSet<byte[]> _known = new(ByteComparer.Instance);
    private ITimer? _timer;
    private long _horizon;
    private byte[] _cursor;
    private bool _pageFull;
    private bool _disposed;

    /// <param name="backlog">Commands waiting in the partition's queue now (null: unbounded firing).</param>
    /// <param name="watermark">No timer fires while <paramref name="backlog"/> is at or above this.</param>
    public TimerWindow(IKeyValueStore store, ulong rangeStart, TimeProvider time, TimeSpan window, Action<byte[]> fire,
        Func<int>? backlog = null, int watermark = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(watermark);
        _backlog = backlog;
        _watermark = watermark;
        _store = store;
        _rangeStart = rangeStart;
        _time = time;
        _window = window;
        _fire = fire;
        _cursor = Keys.TimerBound(rangeStart, DateTimeOffset.UnixEpoch);
    }

    /// <summary>Timers held in memory now.</summary>
    public int Count
    {
        get { lock (_gate) { return _due.Count; } }
    }

    /// <summary>
    /// When the earliest durable timer of the partition is due, read from storage (not only the
    /// window), or null when it has none. Meant for a quiet partition: timers of batches not yet
    /// committed are not seen.
    /// </summary>
    public DateTimeOffset? NextDue()
    {
        foreach (var (key, _) in _store.Scan(Table.Timers, Keys.TimerBound(_rangeStart, DateTimeOffset.UnixEpoch), Keys.TimerBound(_rangeStart, DateTimeOffset.MaxValue)))
        {
            return Keys.ParseTimer(key).At;
        }

        return null;
    }

    public void Start()
    {
        lock (_gate)
        {
            _timer = _time.CreateTimer(_ => Tick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        Tick();
    }

    /// <summary>A timer was committed: hold it if it falls inside the window (else a later load finds it).</summary>
    public void Add(DateTimeOffset at, byte[] key)
    {
        lock (_gate)
        {
            if (_disposed || ByteComparer.Instance.Compare(key, _cursor) >= 0 || !_known.Add(key))
            {
                return;
            }

            _due.Add((at.ToUnixTimeMilliseconds(), key));
        }

        Tick();
    }

    private void Tick()
    {
        lock (_tickGate)
        {
            foreach (var key in ChooseDue())
            {
                _fire(key);
            }
        }
    }

    /// <summary>Takes the due timers that may fire now (within the queue's room) and re-arms the timer.</summary>
    private List<byte[]> ChooseDue()
    {
        var fired = new List<byte[]>();
        lock (_gate)
        {
            if (_disposed)
            {
                return fired;
            }

            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (now + (long)(_window.TotalMilliseconds / 2) >= _horizon)
            {
                _horizon = now + (long)_window.TotalMilliseconds;
                Load();
            }

            var room = _backlog is null ? int.MaxValue : Math.Max(0, _watermark - _backlog());
            while (true)
            {
                while (fired.Count < room && _due.Count > 0 && _due.Min.At <= now)
                {
                    var next = _due.Min;
                    _due.Remove(next);
                    _known.Remove(next.Key);
                    fired.Add(next.Key);
                }

                // A full page may have stopped short of the horizon: once what it held has fired,
                // the next page follows at once (due timers are never left on disk while memory is free).
                // Timers held back keep _due non-empty, so no further page is read meanwhile.
                if (!_pageFull || _due.Count > 0)
                {
                    break;
                }

                Load();
            }

            var heldBack = _due.Count > 0 && _due.Min.At <= now;
            var wake = heldBack
                ? now + (long)HoldBackRetry.TotalMilliseconds
                : Math.Min(_due.Count > 0 ? _due.Min.At : long.MaxValue, _horizon - (long)(_window.TotalMilliseconds / 2));
            _timer!.Change(TimeSpan.FromMilliseconds(Math.Max(1, wake - now)), Timeout.InfiniteTimeSpan);
        }

        return fired;
    }

    /// <summary>
    /// Reads one page of [cursor, horizon) and moves the cursor past what it read. The cursor moves
    /// under the same lock as <see cref="Add"/> checks it, so a timer committed meanwhile is either read
    /// here or added there (both: held once).
    /// </summary>
    private void Load()
    {
        var end = Keys.TimerBound(_rangeStart, DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(0, _horizon)));
        if (ByteComparer.Instance.Compare(_cursor, end) >= 0)
        {
            _pageFull = false;
            return;
        }

        var loaded = new List<(long, byte[])>();
        foreach (var (key, _) in _store.Scan(Table.Timers, _cursor, end))
        {
            loaded.Add((Keys.ParseTimer(key).At.ToUnixTimeMilliseconds(), key));
            if (loaded.Count == LoadLimit)
            {
                break;
            }
        }

        _pageFull = loaded.Count == LoadLimit;
        // The next page starts just after the last key read (a key followed by a zero byte is its successor).
        _cursor = _pageFull ? [.. loaded[^1].Item2, 0] : end;
        foreach (var (at, key) in loaded)
        {
            if (_known.Add(key))
            {
                _due.Add((at, key));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }
}
