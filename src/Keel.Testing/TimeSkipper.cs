using Keel.Server;

namespace Keel.Testing;

/// <summary>
/// Automatic time skipping: while the clock's <see cref="KeelTestClock.AutoSkip"/> is on, a client
/// waits for a result and the runtime is idle, jumps the clock to the next durable timer. "Idle" is
/// the runtime's own count of work in flight (queued or applying commands, running attempts), read
/// twice around the checks with its generation, so work begun in between cancels the jump.
/// </summary>
internal sealed class TimeSkipper : IAsyncDisposable
{
    // How often the conditions are looked at: short against a handler's round trip, cheap when idle.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private readonly KeelTestClock _clock;
    private readonly KeelRuntime _runtime;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TimeSkipper(KeelTestClock clock, KeelRuntime runtime)
    {
        _clock = clock;
        _runtime = runtime;
        _loop = Task.Run(RunAsync);
    }

    private async Task RunAsync()
    {
        using var ticks = new PeriodicTimer(Poll, TimeProvider.System);
        try
        {
            while (await ticks.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_clock.AutoSkip)
                {
                    SkipOnce();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private void SkipOnce()
    {
        var activity = _runtime.Activity;
        var generation = activity.Generation;
        if (!activity.IsIdle || !_runtime.IsAwaitingResult)
        {
            return;
        }

        _clock.TrySkipToNextTimer(() => activity.IsIdle && activity.Generation == generation && _runtime.IsAwaitingResult);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
