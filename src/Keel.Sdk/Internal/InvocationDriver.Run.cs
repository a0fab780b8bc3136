using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>ctx.run closures: executed only when the VM says so, results proposed back to it.</summary>
internal sealed partial class InvocationDriver
{
    private readonly Dictionary<NotificationHandle, (string Name, Func<CancellationToken, Task<byte[]>> Action, RetryPolicy Policy)> _runClosures = [];

    public void RegisterRun(NotificationHandle handle, string name, Func<CancellationToken, Task<byte[]>> action, RetryPolicy policy) =>
        _runClosures[handle] = (name, action, policy);

    private void StartRun(NotificationHandle handle)
    {
        if (!_runClosures.Remove(handle, out var run))
        {
            return;
        }

        OnPump(() => _runTasks.Add(ExecuteRunAsync(handle, run.Name, run.Action, run.Policy)));
    }

    private async Task ExecuteRunAsync(NotificationHandle handle, string name, Func<CancellationToken, Task<byte[]>> action, RetryPolicy policy)
    {
        var started = Time.GetTimestamp();

        // Only runs that execute get a span: replayed ones are never executed again.
        using var span = KeelTelemetry.Source.HasListeners() ? KeelTelemetry.Source.StartActivity($"run {name}", System.Diagnostics.ActivityKind.Internal) : null;
        CompletionValue? outcome = null;
        Exception? retryable = null;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_attempt.Token);
        _runCancellations.Add(cancellation);
        try
        {
            outcome = new CompletionValue.Success(await action(cancellation.Token));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Aborted attempt: nothing to propose. CANCEL signal: the run ends as cancelled.
            if (!_attempt.IsCancellationRequested)
            {
                ProposeRunCancelled(handle);
            }

            return;
        }
        catch (TerminalException terminal)
        {
            outcome = new CompletionValue.Failure(Failures.FromException(terminal));
        }
        catch (VmException)
        {
            return;
        }
#pragma warning disable CA1031 // Any other exception from user code is a retryable failure of the run.
        catch (Exception e)
#pragma warning restore CA1031
        {
            retryable = e;
        }
        finally
        {
            _runCancellations.Remove(cancellation);
        }

        if (outcome is not CompletionValue.Success)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, retryable?.Message ?? "terminal failure");
        }

        if (_attemptOver || _vm.IsOutputClosed)
        {
            return;
        }

        try
        {
            if (outcome is not null)
            {
                _vm.ProposeRunCompletion(handle, outcome);
            }
            else
            {
                var delay = _vm.ProposeRunRetryableFailure(handle, retryable!.Message, retryable.ToString(), Time.GetElapsedTime(started), policy.ToCore());
                if (delay is { } next)
                {
                    SdkLog.RunRetry(_logger, retryable, name, InvocationIdForLogs, TargetName, Attempt, next);
                }
                else
                {
                    SdkLog.RunExhausted(_logger, retryable, name, InvocationIdForLogs, TargetName, Attempt);
                }
            }
        }
        catch (VmException)
        {
            // ErrorMessage already written.
        }
    }
}
