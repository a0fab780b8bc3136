namespace Keel.Testing.Tests;

/// <summary>The test clock on its own (no runtime attached): real-time pace plus skipped time, timers fired by jumps.</summary>
public sealed class KeelTestClockTests
{
    [Fact]
    public async Task Advancing_moves_now_and_fires_the_timers_that_became_due_before_returning()
    {
        var clock = new KeelTestClock();
        var fired = 0;
        using var inAnHour = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);
        var start = clock.GetUtcNow();

        await clock.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Equal(0, Volatile.Read(ref fired));

        await clock.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, Volatile.Read(ref fired));
        Assert.True(clock.GetUtcNow() - start >= TimeSpan.FromHours(1));
        // Real time that passed meanwhile counts towards the hour.
        Assert.True(clock.Skipped <= TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task A_periodic_timer_fires_once_per_jump_however_far_it_goes()
    {
        var clock = new KeelTestClock();
        var fired = 0;
        using var everyMinute = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

        await clock.AdvanceAsync(TimeSpan.FromDays(1));

        Assert.Equal(1, Volatile.Read(ref fired));
    }

    [Fact]
    public async Task A_disposed_or_stopped_timer_does_not_fire()
    {
        var clock = new KeelTestClock();
        var fired = 0;
        var disposed = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan);
        using var stopped = clock.CreateTimer(_ => Interlocked.Increment(ref fired), null, TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        Assert.True(stopped.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));

        await clock.AdvanceAsync(TimeSpan.FromHours(1));

        Assert.Equal(0, Volatile.Read(ref fired));
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public async Task Elapsed_time_includes_skipped_time()
    {
        var clock = new KeelTestClock();
        var started = clock.GetTimestamp();

        await clock.AdvanceAsync(TimeSpan.FromHours(2));

        Assert.True(clock.GetElapsedTime(started) >= TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Time_never_goes_back()
    {
        var clock = new KeelTestClock();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => clock.AdvanceAsync(TimeSpan.FromSeconds(-1)));
    }
}
