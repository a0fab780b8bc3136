namespace Keel.Testing;

/// <summary>
/// The clock of a <see cref="KeelTestEnvironment"/>: the server's durable timers (sleeps, delayed sends,
/// retry backoff, retention) and the services' <c>ctx</c> time run on it. It runs at the pace of real
/// time, plus the time skipped so far: <see cref="AdvanceAsync"/> moves it forward on request, and with
/// <see cref="AutoSkip"/> it jumps to the next durable timer whenever a client waits for a result and
/// the runtime has nothing else to do.
/// </summary>
public sealed class KeelTestClock : TimeProvider
{
    private static readonly TimeSpan Nudge = TimeSpan.FromMilliseconds(1);
    private readonly Lock _gate = new();
    private readonly HashSet<TestClockTimer> _timers = [];
    private readonly SemaphoreSlim _moving = new(1, 1);
    private long _skippedTicks;
    private IRuntimeProbe? _runtime;
    private bool _autoSkip;

    /// <summary>The time skipped so far (by <see cref="AdvanceAsync"/> and by automatic skipping).</summary>
    public TimeSpan Skipped => TimeSpan.FromTicks(Interlocked.Read(ref _skippedTicks));

    /// <summary>
    /// While true, the clock jumps to the next durable timer whenever a client of the environment waits
    /// for a result (a call, or attach) and the runtime is idle: no command queued and no attempt
    /// running. Set from <see cref="KeelTestEnvironmentOptions.AutoSkipTime"/>; may be changed at any time.
    /// </summary>
    public bool AutoSkip
    {
        get => Volatile.Read(ref _autoSkip);
        set => Volatile.Write(ref _autoSkip, value);
    }

    /// <summary>Now on the test clock: the real time plus <see cref="Skipped"/>.</summary>
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Skipped;

    /// <summary>A high-resolution timestamp that also moves by the time skipped, so elapsed times agree with <see cref="GetUtcNow"/>.</summary>
    public override long GetTimestamp() => System.GetTimestamp() + ToTimestampTicks(Skipped);

    /// <summary>The frequency of <see cref="GetTimestamp"/> (the system's).</summary>
    public override long TimestampFrequency => System.TimestampFrequency;

    /// <summary>A timer due at an instant of this clock: it fires when real time gets there or the clock is moved past it.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new TestClockTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Moves the clock to <paramref name="duration"/> past its time at the call, firing the durable timers
    /// due on the way in their order: first it waits until the runtime is idle (work in flight settles before time moves),
    /// then it jumps from timer to timer, each time waiting until the runtime has processed what the
    /// timer started, and finally to the target time.
    /// </summary>
    /// <param name="duration">How far to move; zero only lets work in flight settle.</param>
    /// <param name="cancellationToken">Stops waiting (the clock keeps the time reached so far).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="duration"/> is negative: time never goes back.</exception>
    public async Task AdvanceAsync(TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);
        var target = GetUtcNow() + duration;
        await _moving.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await SettleAsync(cancellationToken).ConfigureAwait(false);
            while (_runtime?.NextTimerDue() is { } due && due <= target)
            {
                // Just past the due millisecond, so the timer and the partition's window both see it due.
                if (!JumpTo(due + Nudge))
                {
                    // Due already: its timer fires within a millisecond on its own; give it that.
                    await Task.Delay(Nudge, System, cancellationToken).ConfigureAwait(false);
                }

                await SettleAsync(cancellationToken).ConfigureAwait(false);
            }

            JumpTo(target);
            await SettleAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _moving.Release();
        }
    }

    /// <summary>Connects the clock to the runtime it drives (done once by the environment).</summary>
    internal void Attach(IRuntimeProbe runtime) => _runtime = runtime;

    /// <summary>
    /// One automatic skip: jumps to the next durable timer when <paramref name="stillQuiet"/> holds right
    /// before the jump; does nothing while <see cref="AdvanceAsync"/> is moving the clock.
    /// </summary>
    /// <returns>True when the clock moved.</returns>
    internal bool TrySkipToNextTimer(Func<bool> stillQuiet)
    {
        if (!_moving.Wait(0))
        {
            return false;
        }

        try
        {
            if (_runtime?.NextTimerDue() is not { } due || !stillQuiet())
            {
                return false;
            }

            return JumpTo(due + Nudge);
        }
        finally
        {
            _moving.Release();
        }
    }

    private Task SettleAsync(CancellationToken cancellationToken) =>
        _runtime?.WhenIdleAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>Moves the clock to <paramref name="instant"/> if that is ahead, then fires the timers now due, on this thread.</summary>
    private bool JumpTo(DateTimeOffset instant)
    {
        var by = instant - GetUtcNow();
        if (by <= TimeSpan.Zero)
        {
            // Due already (its timer fires any moment on its own): just make sure it does.
            FireDue();
            return false;
        }

        Interlocked.Add(ref _skippedTicks, by.Ticks);
        FireDue();
        return true;
    }

    /// <summary>
    /// Fires every timer that is due now, on the caller's thread, so that what a durable timer enqueues
    /// is counted as the runtime's work before the caller waits for the runtime to be idle.
    /// </summary>
    private void FireDue()
    {
        TestClockTimer[] timers;
        lock (_gate)
        {
            timers = [.. _timers];
        }

        foreach (var timer in timers)
        {
            timer.Fire();
        }
    }

    internal void Forget(TestClockTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    internal long TimestampAfter(TimeSpan delay)
    {
        var now = GetTimestamp();
        var ticks = ToTimestampTicks(delay);
        return ticks >= long.MaxValue - now ? long.MaxValue - 1 : now + ticks;
    }

    internal long ToTimestampTicks(TimeSpan span) =>
        span.Ticks >= long.MaxValue / 1000 ? long.MaxValue / 4 : (long)(span.Ticks * ((double)TimestampFrequency / TimeSpan.TicksPerSecond));

    internal TimeSpan ToTimeSpan(long timestampTicks) =>
        TimeSpan.FromTicks((long)(timestampTicks * ((double)TimeSpan.TicksPerSecond / TimestampFrequency)));
}
