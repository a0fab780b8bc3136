using System.Buffers;
using Keel.Fuzzing;

namespace Keel.Sdk.Core.Tests.Fuzz;

/// <summary>
/// Drives a VM as the SDK's invocation driver does — input pushed in chunks, the handler started once the
/// replay is in, output taken after each step, the input closed at the end — with a handler that issues
/// random commands and awaits random combinations of their handles. Any exception other than
/// <see cref="VmException"/> from a VM call fails the test; so does an await that asks for more input
/// after all of it was delivered and closed (the invocation would hang).
/// </summary>
internal sealed class FuzzedHost(Vm vm, Queue<byte[]> input, FuzzChoices c)
{
    private const int MaxSteps = 60;
    private readonly List<NotificationHandle> _handles = [];
    private bool _inputClosed;

    public ArrayBufferWriter<byte> Output { get; } = new();

    /// <summary>A VM call threw <see cref="VmException"/>.</summary>
    public bool Failed { get; private set; }

    public void Run()
    {
        // Part of the input first (maybe all), then the handler, the rest arriving while it runs.
        for (var i = c.Below(input.Count + 1); i > 0 && !Failed; i--)
        {
            Feed();
        }

        while (!Failed && !vm.IsReadyToExecute && (input.Count > 0 || !_inputClosed))
        {
            Feed();
        }

        if (!Failed && !vm.IsOutputClosed && vm.IsReadyToExecute)
        {
            Handler();
        }

        while (!Failed && (input.Count > 0 || !_inputClosed))
        {
            Feed();
        }

        Take();
    }

    private void Handler()
    {
        if (!Call(() => vm.SysInput()))
        {
            return;
        }

        for (var step = 0; step < MaxSteps && !Failed && !vm.IsOutputClosed; step++)
        {
            if (c.Chance(20))
            {
                Feed();
                continue;
            }

            if (c.Chance(5))
            {
                Call(() => vm.SysWriteOutput(c.Chance(50) ? new CompletionValue.Success("\"out\""u8.ToArray()) : new CompletionValue.Failure(new TerminalFailure(400, "no"))));
                Call(vm.SysEnd);
                return;
            }

            if (c.Chance(30) && _handles.Count > 0)
            {
                Await();
            }
            else
            {
                Command();
            }

            Take();
        }

        if (!Failed && !vm.IsOutputClosed)
        {
            Call(() => vm.NotifyError("the handler gave up", null, TimeSpan.FromMilliseconds(c.Below(1000))));
        }
    }

    private void Command()
    {
        var text = c.Text(FuzzFrames.Strings);
        var target = new CallTarget(c.Text(FuzzFrames.Strings), c.Text(FuzzFrames.Strings), c.Chance(50) ? null : text);
        var value = c.Chance(70) ? (CompletionValue)new CompletionValue.Success("1"u8.ToArray()) : new CompletionValue.Failure(new TerminalFailure((ushort)c.Next(), text));
        switch (c.Below(17))
        {
            case 0: Handle(() => vm.SysStateGet(text)); break;
            case 1: Handle(vm.SysStateGetKeys); break;
            case 2: Call(() => vm.SysStateSet(text, "2"u8.ToArray())); break;
            case 3: Call(() => vm.SysStateClear(text)); break;
            case 4: Call(vm.SysStateClearAll); break;
            case 5: Handle(() => vm.SysSleep(DateTimeOffset.UnixEpoch.AddMilliseconds(c.Next()))); break;
            case 6:
                Call(() =>
                {
                    var call = vm.SysCall(target, "3"u8.ToArray(), new CallOptions(c.Chance(30) ? text : null));
                    _handles.Add(call.InvocationId);
                    _handles.Add(call.Result);
                });
                break;
            case 7: Handle(() => vm.SysSend(target, "4"u8.ToArray(), c.Chance(50) ? null : DateTimeOffset.UnixEpoch.AddMilliseconds(c.Next()))); break;
            case 8: Handle(() => vm.SysAwakeable().Handle); break;
            case 9: Call(() => vm.SysCompleteAwakeable(text, value)); break;
            case 10: Handle(() => vm.SysNamedSignal(text)); break;
            case 11: Call(() => vm.SysCompleteNamedSignal(text, text, value)); break;
            case 12: Handle(() => c.Below(3) switch { 0 => vm.SysGetPromise(text), 1 => vm.SysPeekPromise(text), _ => vm.SysCompletePromise(text, value) }); break;
            case 13: Call(() => vm.SysCancelInvocation(text)); break;
            case 14:
                InvocationTarget invocation = c.Below(3) switch
                {
                    0 => new InvocationTarget.ById(text),
                    1 => new InvocationTarget.Workflow(target.Service, text),
                    _ => new InvocationTarget.Idempotent(target.Service, target.Key, target.Handler, text),
                };
                Handle(() => c.Chance(50) ? vm.SysAttachInvocation(invocation) : vm.SysGetInvocationOutput(invocation));
                break;
            default: Handle(() => vm.SysRun(text)); break;
        }
    }

    /// <summary>Awaits one handle or a combinator of a few, as user code does, until it resolves, suspends or fails.</summary>
    private void Await()
    {
        var picked = Enumerable.Range(0, 1 + c.Below(3)).Select(_ => c.Pick(_handles)).Distinct().ToList();
        UnresolvedFuture future = picked.Count == 1 && c.Chance(70)
            ? new UnresolvedFuture.Single(picked[0])
            : new UnresolvedFuture.Combinator((CombinatorKind)c.Below(4), [.. picked.Select(h => new UnresolvedFuture.Single(h))]);
        for (var spins = 0; ; spins++)
        {
            Assert.True(spins < 10_000, "an await went round ten thousand times");
            AwaitResult? result = null;
            if (!Call(() => result = vm.DoAwait(future)))
            {
                return;
            }

            Take();
            switch (result)
            {
                case AwaitResult.Completed:
                    foreach (var handle in picked.Where(vm.IsCompleted))
                    {
                        Call(() => vm.TakeNotification(handle));
                        _handles.Remove(handle);
                    }

                    return;
                case AwaitResult.ExecuteRun(var run):
                    Propose(run);
                    break;
                case AwaitResult.WaitExternalProgress:
                    Assert.False(input.Count == 0 && _inputClosed, "an await waits for input although the input is closed and nothing runs");
                    Feed();
                    break;
                default:
                    return;   // Cancelled (user code gets a 409) or Suspended (the attempt is over)
            }

            if (Failed || vm.IsOutputClosed)
            {
                return;
            }
        }
    }

    private void Propose(NotificationHandle run)
    {
        switch (c.Below(3))
        {
            case 0: Call(() => vm.ProposeRunCompletion(run, new CompletionValue.Success("5"u8.ToArray()))); break;
            case 1: Call(() => vm.ProposeRunCompletion(run, new CompletionValue.Failure(new TerminalFailure(500, "run failed")))); break;
            default:
                Call(() => vm.ProposeRunRetryableFailure(run, "flaky", null, TimeSpan.FromMilliseconds(c.Below(100)),
                    new RunRetryPolicy(TimeSpan.FromMilliseconds(1), MaxAttempts: c.Chance(50) ? 1 : null)));
                break;
        }
    }

    /// <summary>Delivers the next chunk of input, or closes the input once all of it is in.</summary>
    private void Feed()
    {
        if (input.TryDequeue(out var chunk))
        {
            Call(() => vm.NotifyInput(chunk));
        }
        else if (!_inputClosed)
        {
            _inputClosed = true;
            if (!vm.IsOutputClosed)
            {
                Call(vm.NotifyInputClosed);
            }
        }
    }

    private void Take() => Output.Write(vm.TakeOutput().Span);

    private void Handle(Func<NotificationHandle> command) => Call(() => _handles.Add(command()));

    /// <summary>Runs one VM call; false when it threw <see cref="VmException"/> (the VM wrote its Error).</summary>
    private bool Call(Action call)
    {
        try
        {
            call();
            return true;
        }
        catch (VmException)
        {
            Failed = true;
            Take();
            return false;
        }
    }
}
