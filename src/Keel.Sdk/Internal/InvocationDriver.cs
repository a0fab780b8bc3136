using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

/// <summary>
/// Runs one invocation: feeds request bytes to the VM, runs the handler on a single-threaded pump,
/// answers the handler's awaits through <see cref="IVm.DoAwait"/>, executes run closures, and
/// streams the VM's output. Every VM call happens on the pump, one at a time.
/// </summary>
internal sealed partial class InvocationDriver
{
    private readonly IVm _vm;
    private readonly Channel<Action> _work = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PumpSynchronizationContext _sync;
    private readonly List<(UnresolvedFuture Tree, TaskCompletionSource Done)> _awaited = [];
    private readonly Dictionary<NotificationHandle, NotificationResult> _results = [];
    private readonly TaskCompletionSource _inputDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<InvocationContext, Task<byte[]>>? _handler;
    private Task<byte[]>? _handlerTask;
    private bool _handlerStarted;
    private bool _handlerFinished;

    private readonly Microsoft.Extensions.Logging.ILogger _logger;

    private readonly string _service;
    private readonly string _handlerName;

    public InvocationDriver(IVm vm, TimeProvider time, Microsoft.Extensions.Logging.ILogger? logger = null, string service = "?", string handler = "?", JsonSerde? serde = null)
    {
        Serde = serde ?? JsonSerde.Default;
        _vm = vm;
        _service = service;
        _handlerName = handler;
        Time = time;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _sync = new PumpSynchronizationContext(_work.Writer);
    }

    public TimeProvider Time { get; }

    /// <summary>The endpoint's serializer (its <see cref="KeelJsonOptions"/>).</summary>
    public JsonSerde Serde { get; }

    public IVm Vm => _vm;

    /// <summary>The handler's context, created once the input is known.</summary>
    public InvocationContext Context { get; private set; } = null!;

    /// <summary>service/handler, or service/key/handler: how logs name the invocation.</summary>
    private string TargetName => string.IsNullOrEmpty(Context?.Key) ? $"{_service}/{_handlerName}" : $"{_service}/{Context.Key}/{_handlerName}";

    /// <summary>1 on a first attempt, counted since the journal last grew.</summary>
    private uint Attempt => (Context?.Input.RetryCountSinceLastStoredEntry ?? 0) + 1;

    private string InvocationIdForLogs => Context?.InvocationId ?? "?";

    /// <summary>Runs the invocation to its end (End, Suspension or Error written), then waits for the request body to close.</summary>
    public async Task RunAsync(PipeReader input, PipeWriter output, Func<InvocationContext, Task<byte[]>> handler, CancellationToken cancellationToken)
    {
        _handler = handler;
        var reader = ReadInputAsync(input, cancellationToken);
        try
        {
            await PumpAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                if (!cancellationToken.IsCancellationRequested)
                {
                    await FlushAsync(output, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                EndAttempt();
            }
        }

        // The runtime closes the request body after our final message; ending the response earlier
        // makes HTTP/2 servers reset the stream (Kestrel then refuses new streams on that connection).
        await _inputDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await reader.ConfigureAwait(false);
    }

    private async Task PumpAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!DrainWork())
            {
                return;
            }

            await FlushAsync(output, cancellationToken).ConfigureAwait(false);
            if (_vm.IsOutputClosed)
            {
                return;
            }

            CheckCancelSignal();

            if (!_handlerStarted && _vm.IsReadyToExecute)
            {
                if (!StartHandler())
                {
                    return;
                }

                continue;
            }

            if (_handlerTask is { IsCompleted: true } && !_handlerFinished)
            {
                CompleteHandler(_handlerTask);
                continue;
            }

            if (_awaited.Count > 0 && !_work.Reader.TryPeek(out _))
            {
                var progressed = TryProgress();
                if (progressed is null)
                {
                    return;
                }

                if (progressed.Value)
                {
                    continue;
                }
            }

            await _work.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs queued work with the pump as synchronization context. False when the VM failed.</summary>
    private bool DrainWork()
    {
        try
        {
            OnPumpThread(() =>
            {
                while (_work.Reader.TryRead(out var item))
                {
                    item();
                }
            });
            return true;
        }
        catch (VmException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="action"/> as the pump: its synchronization context, and context calls allowed.</summary>
    private void OnPumpThread(Action action)
    {
        var previous = SynchronizationContext.Current;
        var previousPump = t_pump;
        SynchronizationContext.SetSynchronizationContext(_sync);
        t_pump = this;
        try
        {
            action();
        }
        finally
        {
            t_pump = previousPump;
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void OnPump(Action action) => _work.Writer.TryWrite(action);

    /// <summary>The driver whose pump runs on this thread right now (null off every pump).</summary>
    [ThreadStatic]
    private static InvocationDriver? t_pump;

    /// <summary>
    /// Throws at once when handler code calls the context off this invocation's pump. Without the
    /// check such a call races the pump and nothing ever wakes it: the attempt hangs until the
    /// runtime's inactivity timeout, with no error anywhere.
    /// </summary>
    public void EnsureOnPump(string operation)
    {
        if (_attemptOver)
        {
            throw new OperationCanceledException(
                $"ctx.{operation} was called after this attempt of the invocation ended (it suspended, failed or was aborted); " +
                "the runtime continues the invocation in a new attempt, replaying the journal.", _attempt.Token);
        }

        if (t_pump != this)
        {
            throw new InvalidOperationException(
                $"ctx.{operation} was called off the invocation's pump (thread {Environment.CurrentManagedThreadId}, outside Keel's synchronization context), " +
                "so it cannot be journaled in a deterministic order. Likely causes: an earlier 'await ….ConfigureAwait(false)' in the handler " +
                "(remove it: handler code must resume on Keel's pump), a Task.Run / new Thread / Parallel body, or a timer or event callback. " +
                "Fix: call the context only from the handler's own async flow; put concurrent or blocking work inside ctx.RunAsync and await its result.");
        }
    }

    private bool StartHandler()
    {
        try
        {
            Context = new InvocationContext(this, _vm.SysInput(), _logger);
        }
        catch (VmException)
        {
            return false;
        }

        // Start the handler as a pump item, so it and all its continuations run on the pump.
        _handlerStarted = true;
        OnPump(() => _handlerTask = InvokeHandler());
        return true;
    }

    private async Task<byte[]> InvokeHandler() => await _handler!(Context);

    private void CompleteHandler(Task<byte[]> handlerTask)
    {
        _handlerFinished = true;
        if (_vm.IsOutputClosed)
        {
            return;
        }

        try
        {
            if (handlerTask.IsCompletedSuccessfully)
            {
                _vm.SysWriteOutput(new CompletionValue.Success(handlerTask.Result));
                _vm.SysEnd();
                return;
            }

            var error = handlerTask.Exception!.InnerException!;
            switch (error)
            {
                case VmException vmError:
                    // The VM found the failure (journal mismatch, protocol violation) and wrote it: log it even mid-replay.
                    SdkLog.AttemptFailed(_logger, vmError, InvocationIdForLogs, TargetName, Attempt);
                    return;
                case TerminalException terminal:
                    if (!_vm.IsReplaying)
                    {
                        SdkLog.TerminalFailure(_logger, InvocationIdForLogs, TargetName, terminal.Code, terminal.Message);
                    }

                    _vm.SysWriteOutput(new CompletionValue.Failure(Failures.FromException(terminal)));
                    _vm.SysEnd();
                    return;
                default:
                    if (!_vm.IsReplaying)
                    {
                        SdkLog.AttemptFailed(_logger, error, InvocationIdForLogs, TargetName, Attempt);
                    }

                    _vm.NotifyError(error.Message, error.ToString());
                    return;
            }
        }
        catch (VmException)
        {
            // The VM wrote its ErrorMessage; the attempt is over.
        }
    }

    private async Task ReadInputAsync(PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    var chunk = segment.ToArray();
                    OnPump(() => _vm.NotifyInput(chunk));
                }

                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The runtime went away: the attempt is lost either way; the runtime retries it.
        }
        finally
        {
            OnPump(() =>
            {
                if (!_vm.IsOutputClosed)
                {
                    _vm.NotifyInputClosed();
                }
            });
            _inputDone.TrySetResult();
        }
    }

    private async ValueTask FlushAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        var bytes = _vm.TakeOutput();
        if (bytes.IsEmpty)
        {
            return;
        }

        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
    }
}
