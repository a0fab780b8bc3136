using System.Diagnostics.Metrics;
using Keel.Server.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Keel.Server.Core.Tests.Telemetry;

/// <summary>
/// The process stall monitor, on a fake clock: each tick of its thread advances the clock by the tick
/// plus a chosen lateness, so what counts as a stall is decided by the test, not by the machine's load.
/// </summary>
public class StallMonitorTests
{
    [Fact]
    public void A_late_wake_up_is_recorded_as_a_stall_and_logged()
    {
        var stalls = new List<double>();
        using var listener = ListenToStalls(stalls);
        var logger = new ListLogger();

        // The third tick wakes 80 ms late: the process "stood still" that long.
        var longest = Watch(logger, ticks: 6, lateness: tick => tick == 3 ? TimeSpan.FromMilliseconds(80) : TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromMilliseconds(80), longest);
        lock (stalls)
        {
            Assert.Contains(0.080, stalls);
        }

        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Debug, line.Level);
        Assert.Contains("stalled for 80 ms (garbage collection pauses in that time:", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stall_of_a_second_or_more_is_a_warning()
    {
        var logger = new ListLogger();

        var longest = Watch(logger, ticks: 4, lateness: tick => tick == 2 ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);

        Assert.Equal(TimeSpan.FromSeconds(2), longest);
        Assert.Equal(LogLevel.Warning, Assert.Single(logger.Lines).Level);
    }

    [Fact]
    public void Wake_ups_less_than_20_ms_late_are_not_stalls()
    {
        var logger = new ListLogger();

        var longest = Watch(logger, ticks: 30, lateness: tick => TimeSpan.FromMilliseconds(tick % 20));

        Assert.Equal(TimeSpan.Zero, longest);
        Assert.Empty(logger.Lines);
    }

    /// <summary>Runs the monitor for a number of ticks, each advancing the fake clock by the tick plus its lateness.</summary>
    private static TimeSpan Watch(ILogger logger, int ticks, Func<int, TimeSpan> lateness)
    {
        var clock = new FakeTimeProvider();
        var count = 0;
        using var done = new ManualResetEventSlim();
        TimeSpan longest;
        using (var monitor = new StallMonitor(logger, clock, tick =>
        {
            var n = Interlocked.Increment(ref count);
            if (n <= ticks)
            {
                clock.Advance(tick + lateness(n));
            }
            else
            {
                done.Set();
                Thread.Sleep(1);
            }
        }))
        {
            Assert.True(done.Wait(TimeSpan.FromSeconds(30)), "the monitor did not tick");
            longest = monitor.Longest;
        }

        return longest;
    }

    private static MeterListener ListenToStalls(List<double> stalls)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // By name: the instrument may be published while ServerTelemetry's static fields are still being set.
            if (instrument.Meter.Name == ServerTelemetry.Name && instrument.Name == "keel.process.stall.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (stalls)
            {
                stalls.Add(value);
            }
        });
        listener.Start();
        return listener;
    }

    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Message)> _lines = [];

        public IReadOnlyList<(LogLevel Level, string Message)> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
