using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>
/// Cancellation tokens for user code: the handler's token fires when the attempt ends before the
/// handler does (stream closed, runtime abort, suspension, error) or when the CANCEL signal arrives;
/// each run closure's token likewise, for the runs executing at that moment. Code the attempt
/// abandons keeps being pumped for a grace period, so its <c>finally</c> blocks and <c>using</c>s run.
/// </summary>
internal sealed partial class InvocationDriver
{
    /// <summary>How long abandoned handler and run code may take to unwind after its attempt ended.</summary>
    internal static TimeSpan AbandonedCodeGrace { get; set; } = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _attempt = new();
    private CancellationTokenSource? _handlerCancellation;
    private readonly HashSet<CancellationTokenSource> _runCancellations = [];
    private readonly List<Task> _runTasks = [];
    private bool _cancelFired;
    private bool _attemptOver;

    /// <summary>The token bound to a handler's <see cref="CancellationToken"/> parameter.</summary>
    public CancellationToken HandlerCancellation =>
        (_handlerCancellation ??= CancellationTokenSource.CreateLinkedTokenSource(_attempt.Token)).Token;

    /// <summary>Fires the tokens once per CANCEL signal, as soon as it arrives (the next await then throws <see cref="CancelledException"/>).</summary>
    private void CheckCancelSignal()
    {
        var pending = _handlerStarted && _vm.IsCancelSignalPending;
        if (pending && !_cancelFired)
        {
            _cancelFired = true;
            OnPumpThread(() =>
            {
                Cancel(_handlerCancellation);
                foreach (var run in _runCancellations.ToList())
                {
                    Cancel(run);
                }
            });
        }
        else if (!pending)
        {
            _cancelFired = false;
        }
    }

    private static void Cancel(CancellationTokenSource? source)
    {
        try
        {
            source?.Cancel();
        }
        catch (AggregateException)
        {
            // A user callback threw; the token is cancelled regardless.
        }
    }

    private bool AbandonedCodeRunning => _handlerTask is { IsCompleted: false } || _runTasks.Exists(t => !t.IsCompleted);

    /// <summary>The attempt is over: fire the tokens and let abandoned code unwind.</summary>
    private void EndAttempt()
    {
        if (_attemptOver)
        {
            return;
        }

        _attemptOver = true;
        OnPumpThread(() => Cancel(_attempt));
        if (!AbandonedCodeRunning)
        {
            return;
        }

        FailAwaited(new OperationCanceledException(
            "This attempt of the invocation ended (it suspended, failed or was aborted) before the awaited operation completed; " +
            "the runtime continues the invocation in a new attempt.", _attempt.Token));
        _ = DrainAbandonedAsync();
    }

    private async Task DrainAbandonedAsync()
    {
        using var grace = new CancellationTokenSource(AbandonedCodeGrace);
        try
        {
            while (true)
            {
                DrainWork();
                if (!AbandonedCodeRunning)
                {
                    return;
                }

                await _work.Reader.WaitToReadAsync(grace.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Code that ignores its token is left behind after the grace period.
        }
    }

    /// <summary>Proposes the cancellation of a run whose closure gave up on the CANCEL signal (journaled as a 409 failure).</summary>
    private void ProposeRunCancelled(NotificationHandle handle)
    {
        if (_attemptOver || _vm.IsOutputClosed)
        {
            return;
        }

        try
        {
            _vm.ProposeRunCompletion(handle, new CompletionValue.Failure(Failures.FromException(new CancelledException())));
        }
        catch (VmException)
        {
            // ErrorMessage already written.
        }
    }
}
