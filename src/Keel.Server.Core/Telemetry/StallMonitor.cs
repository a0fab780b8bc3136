using Microsoft.Extensions.Logging;

namespace Keel.Server.Telemetry;

/// <summary>
/// Notices when the whole server process stood still: a thread of its own sleeps 10 ms at a time and
/// measures how late it wakes. A late wake-up is time in which no request could have been served (a
/// blocking garbage collection, starved CPU, swapping), so every stall of 20 ms or more is recorded
/// (<see cref="ServerTelemetry.ProcessStalls"/>) and logged with the garbage collector's pause time
/// in that span, which tells the two main causes apart: Debug from 20 ms, Warning from one second.
/// </summary>
public sealed partial class StallMonitor : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Reported = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Loud = TimeSpan.FromSeconds(1);
    private readonly ILogger _logger;
    private readonly Action<TimeSpan> _sleep;
    private readonly TimeProvider _time;
    private readonly Thread _thread;
    private volatile bool _stopped;

    /// <param name="logger">Where stalls are logged.</param>
    /// <param name="time">The clock wake-ups are measured with (tests pass a fake one).</param>
    /// <param name="sleep">How the watching thread waits one tick (tests advance their fake clock instead).</param>
    public StallMonitor(ILogger logger, TimeProvider? time = null, Action<TimeSpan>? sleep = null)
    {
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _sleep = sleep ?? Thread.Sleep;
        _thread = new Thread(Watch) { IsBackground = true, Name = "keel-stall-monitor", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>The longest stall seen so far.</summary>
    public TimeSpan Longest { get; private set; }

    private void Watch()
    {
        while (!_stopped)
        {
            var gcPauseBefore = GC.GetTotalPauseDuration();
            var before = _time.GetTimestamp();
            _sleep(Tick);
            var late = _time.GetElapsedTime(before) - Tick;
            if (late < Reported)
            {
                continue;
            }

            var gcPause = GC.GetTotalPauseDuration() - gcPauseBefore;
            Longest = late > Longest ? late : Longest;
            ServerTelemetry.ProcessStalls.Record(late.TotalSeconds);
            if (late >= Loud)
            {
                LogLongStall(_logger, late.TotalMilliseconds, gcPause.TotalMilliseconds);
            }
            else
            {
                LogStall(_logger, late.TotalMilliseconds, gcPause.TotalMilliseconds);
            }
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _thread.Join();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "The server process stalled for {StallMs:F0} ms (garbage collection pauses in that time: {GcPauseMs:F0} ms)")]
    private static partial void LogStall(ILogger logger, double stallMs, double gcPauseMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The server process stalled for {StallMs:F0} ms (garbage collection pauses in that time: {GcPauseMs:F0} ms); requests waited that long. Look for CPU starvation, swapping or memory pressure")]
    private static partial void LogLongStall(ILogger logger, double stallMs, double gcPauseMs);
}
