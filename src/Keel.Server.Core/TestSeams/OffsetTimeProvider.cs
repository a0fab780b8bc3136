namespace Keel.Server.TestSeams;

/// <summary>
/// A testing seam, never on by default: the clock of a server started with <c>KEEL_TEST_CLOCK_OFFSET</c>, whose wall
/// time is the machine's shifted by a fixed offset, so a restart with another offset is a wall-clock jump forward or
/// back (as after an NTP correction or a VM migration). Monotonic timestamps and timer durations are the machine's:
/// only what the server stores as wall time (timer due times, retention) sees the jump.
/// </summary>
public sealed class OffsetTimeProvider(TimeProvider inner, TimeSpan offset) : TimeProvider
{
    public TimeSpan Offset => offset;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);
}
