namespace Keel.Server;

/// <summary>
/// Counts the runtime's work in flight: commands queued or applied but not yet committed with their
/// actions run, and attempts started but not yet ended. Each piece of work is begun by whoever
/// causes it before its cause ends (an action routes a command or starts an attempt before its batch
/// ends; an attempt reports its effects before it ends), so the count is zero only when nothing is
/// left to do until a timer fires or a client sends a request. The test environment waits for that
/// (no sleeps) before and after it moves its clock.
/// </summary>
public sealed class RuntimeActivity
{
    private readonly Lock _gate = new();
    private long _inFlight;
    private long _generation;
    private TaskCompletionSource? _idle;

    /// <summary>Work begun and not yet ended.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True when no work is in flight.</summary>
    public bool IsIdle => InFlight == 0;

    /// <summary>Grows with every piece of work begun: equal readings around a check mean nothing started in between.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Work begins (before it is queued or started).</summary>
    public void Begin(int count = 1)
    {
        Interlocked.Increment(ref _generation);
        Interlocked.Add(ref _inFlight, count);
    }

    /// <summary>Work ended (after whatever it caused has begun).</summary>
    public void End(int count = 1)
    {
        if (count == 0 || Interlocked.Add(ref _inFlight, -count) != 0)
        {
            return;
        }

        TaskCompletionSource? idle;
        lock (_gate)
        {
            // Checked again under the lock: work begun since the decrement keeps waiters waiting.
            if (Volatile.Read(ref _inFlight) != 0)
            {
                return;
            }

            idle = _idle;
            _idle = null;
        }

        idle?.TrySetResult();
    }

    /// <summary>Completes when no work is in flight (at once if none is).</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _inFlight) == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }
}
