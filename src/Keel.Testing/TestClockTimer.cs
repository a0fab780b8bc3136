namespace Keel.Testing;

/// <summary>
/// A timer of the <see cref="KeelTestClock"/>. Its due time is an instant of the test clock: it fires
/// when real time gets there (a system timer armed for the remaining time) or when the clock is moved
/// past it, whichever comes first, and only once per due time.
/// </summary>
internal sealed class TestClockTimer : ITimer
{
    private readonly KeelTestClock _clock;
    private readonly TimerCallback _callback;
    private readonly object? _state;
    private readonly Lock _gate = new();
    private readonly ITimer _real;
    private long _due = long.MaxValue;
    private TimeSpan _period = Timeout.InfiniteTimeSpan;
    private bool _disposed;
    private static readonly TimeSpan MaxArm = TimeSpan.FromDays(1);

    public TestClockTimer(KeelTestClock clock, TimerCallback callback, object? state)
    {
        _clock = clock;
        _callback = callback;
        _state = state;
        _real = System.CreateTimer(static t => ((TestClockTimer)t!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private static TimeProvider System => TimeProvider.System;

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _period = period;
            _due = dueTime == Timeout.InfiniteTimeSpan ? long.MaxValue : _clock.TimestampAfter(dueTime);
            Arm();
        }

        return true;
    }

    /// <summary>Fires if the clock has reached the due time (called by the system timer, and by the clock after it moved).</summary>
    internal void Fire()
    {
        lock (_gate)
        {
            if (_disposed || _due == long.MaxValue)
            {
                return;
            }

            var now = _clock.GetTimestamp();
            if (now < _due)
            {
                Arm();
                return;
            }

            // A periodic timer fires once however far the clock jumped, then keeps its period from now.
            _due = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? long.MaxValue : _clock.TimestampAfter(_period);
            Arm();
        }

        _callback(_state);
    }

    /// <summary>Arms the system timer for the real time left until the due time (under the lock).</summary>
    private void Arm()
    {
        if (_due == long.MaxValue)
        {
            _real.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // Far-off due times are approached in steps: system timers take at most about 49 days.
        var left = _clock.ToTimeSpan(_due - _clock.GetTimestamp());
        _real.Change(left <= TimeSpan.Zero ? TimeSpan.Zero : left > MaxArm ? MaxArm : left, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _real.Dispose();
        }

        _clock.Forget(this);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
