using System.Collections.Concurrent;
using Keel.Protocol.Ids;
using Keel.Server.Partitions;
using Keel.Server.Storage;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>Durable timers are held in memory only within the window; later ones are read from disk as time moves on.</summary>
public sealed class TimerWindowTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly MemoryStore _store = new();
    private readonly ConcurrentQueue<byte[]> _fired = new();

    private byte[] StoreTimer(TimeSpan after, uint n)
    {
        var key = Keys.Timer(0, _time.GetUtcNow() + after, InvocationId.Deterministic(1, "t"), TimerKind.Sleep, n);
        _store.Commit([new WriteOp(Table.Timers, key, [])]);
        return key;
    }

    [Fact]
    public void Only_timers_within_the_window_are_loaded_and_later_ones_fire_on_time()
    {
        var soon = StoreTimer(TimeSpan.FromSeconds(10), 1);
        StoreTimer(TimeSpan.FromHours(5), 2);
        StoreTimer(TimeSpan.FromDays(30), 3);
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue);
        window.Start();
        Assert.Equal(1, window.Count);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([soon], _fired);

        // Time moves on in steps; the far timers come into the window and fire, each once.
        for (var i = 0; i < 5 * 60 * 2 + 2; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(2, _fired.Count);
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void A_timer_added_after_start_fires_once_even_if_a_load_also_reads_it()
    {
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue);
        window.Start();
        var key = StoreTimer(TimeSpan.FromSeconds(50), 7);
        window.Add(_time.GetUtcNow() + TimeSpan.FromSeconds(50), key);
        _time.Advance(TimeSpan.FromSeconds(40));
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal([key], _fired);
    }

    [Fact]
    public void Overdue_timers_found_at_start_fire_at_once()
    {
        var overdue = StoreTimer(TimeSpan.FromMinutes(-5), 9);
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue);
        window.Start();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([overdue], _fired);
    }

    [Fact]
    public void Timers_sharing_one_millisecond_beyond_a_page_all_fire_once()
    {
        // A fan-out of 25,000 delayed sends all due at the same millisecond: more than one load page.
        var at = _time.GetUtcNow() + TimeSpan.FromSeconds(20);
        var ops = new List<WriteOp>();
        for (uint n = 0; n < 25_000; n++)
        {
            ops.Add(new WriteOp(Table.Timers, Keys.Timer(0, at, InvocationId.Deterministic(n, "fan-out"), TimerKind.Sleep, 1), []));
        }

        _store.Commit(ops);
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue);
        window.Start();
        Assert.True(window.Count <= 10_000, $"held {window.Count}");

        _time.Advance(TimeSpan.FromSeconds(20));

        Assert.Equal(25_000, _fired.Count);
        Assert.Equal(25_000, _fired.Distinct(ByteComparer.Instance).Count());
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void A_timer_committed_after_a_full_page_into_the_millisecond_it_stopped_in_fires()
    {
        var at = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
        var ops = new List<WriteOp>();
        for (uint n = 0; n < 12_000; n++)
        {
            ops.Add(new WriteOp(Table.Timers, Keys.Timer(0, at, InvocationId.Deterministic(n, "a"), TimerKind.Sleep, 1), []));
        }

        _store.Commit(ops);
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue);
        window.Start();
        var late = Keys.Timer(0, at, InvocationId.Deterministic(99_999, "late"), TimerKind.Sleep, 1);
        _store.Commit([new WriteOp(Table.Timers, late, [])]);
        window.Add(at, late);

        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(12_001, _fired.Count);
        Assert.Single(_fired, k => k.AsSpan().SequenceEqual(late));
    }

    [Fact]
    public void Overdue_timers_fire_no_faster_than_the_queue_takes_them_each_once_in_due_order()
    {
        // After downtime: 25,000 timers overdue, each at its own millisecond (due order = key order).
        var start = _time.GetUtcNow() - TimeSpan.FromHours(1);
        var expected = new List<byte[]>();
        for (uint n = 0; n < 25_000; n++)
        {
            expected.Add(Keys.Timer(0, start + TimeSpan.FromMilliseconds(n), InvocationId.Deterministic(n, "overdue"), TimerKind.Sleep, 1));
        }

        _store.Commit([.. expected.Select(k => new WriteOp(Table.Timers, k, []))]);
        const int watermark = 1_000;
        var queue = new Queue<byte[]>();
        var maxQueued = 0;
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), key =>
        {
            queue.Enqueue(key);
            maxQueued = Math.Max(maxQueued, queue.Count);
        }, () => queue.Count, watermark);

        window.Start();
        Assert.Equal(watermark, queue.Count);

        // The partition takes 700 commands per step; the window tops the queue up when it looks again.
        var processed = new List<byte[]>();
        for (var step = 0; step < 1_000 && processed.Count < expected.Count; step++)
        {
            for (var i = 0; i < 700 && queue.Count > 0; i++)
            {
                processed.Add(queue.Dequeue());
            }

            Assert.True(window.Count <= 10_000, $"held {window.Count}");
            _time.Advance(TimerWindow.HoldBackRetry);
        }

        processed.AddRange(queue);
        Assert.True(maxQueued <= watermark, $"queued {maxQueued}");
        Assert.Equal(expected.Count, processed.Count);
        Assert.True(expected.SequenceEqual(processed, ByteComparer.Instance), "fired out of due order or more than once");
        Assert.Equal(0, window.Count);
    }

    [Fact]
    public void No_timer_fires_while_the_queue_is_at_the_watermark_and_they_fire_once_it_drains()
    {
        var overdue = StoreTimer(TimeSpan.FromMinutes(-1), 1);
        var depth = 50;
        using var window = new TimerWindow(_store, 0, _time, TimeSpan.FromMinutes(1), _fired.Enqueue, () => depth, watermark: 50);
        window.Start();
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(_fired);

        depth = 49;
        _time.Advance(TimerWindow.HoldBackRetry);
        Assert.Equal([overdue], _fired);
    }
}
