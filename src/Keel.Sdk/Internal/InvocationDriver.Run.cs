using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>ctx.run closures: executed only when the VM says so, results proposed back to it.</summary>
internal sealed partial class InvocationDriver
{
    private readonly Dictionary<NotificationHandle, (Func<Task<byte[]>> Action, RetryPolicy Policy)> _runClosures = [];

    public void RegisterRun(NotificationHandle handle, Func<Task<byte[]>> action, RetryPolicy policy) =>
        _runClosures[handle] = (action, policy);

    private void StartRun(NotificationHandle handle)
    {
        if (!_runClosures.Remove(handle, out var run))
        {
            return;
        }

        OnPump(() => _ = ExecuteRunAsync(handle, run.Action, run.Policy));
    }

    private async Task ExecuteRunAsync(NotificationHandle handle, Func<Task<byte[]>> action, RetryPolicy policy)
    {
        var started = Time.GetTimestamp();
        CompletionValue? outcome = null;
        Exception? retryable = null;
        try
        {
            outcome = new CompletionValue.Success(await action());
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

        if (_vm.IsOutputClosed)
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
                _vm.ProposeRunRetryableFailure(handle, retryable!.Message, retryable.ToString(), Time.GetElapsedTime(started), policy.ToCore());
            }
        }
        catch (VmException)
        {
            // ErrorMessage already written.
        }
    }
}
