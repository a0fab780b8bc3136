using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

public class VmCallsAndAwaitTests
{
    [Fact]
    public void Call_takes_two_completion_ids_and_send_one()
    {
        var (_, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.SysCall(new CallTarget("Counter", "add", "k"), Utf8("1"), new CallOptions(IdempotencyKey: "idem"));
            vm.SysSend(new CallTarget("Greeter", "greet"), Utf8("\"x\""), DateTimeOffset.FromUnixTimeMilliseconds(5000));
        }, closeInput: false);

        var call = (CallCommandMessage)output[0];
        Assert.Equal((1u, 2u), (call.InvocationIdNotificationIdx, call.ResultCompletionId));
        Assert.Equal("k", call.Key);
        Assert.Equal("idem", call.IdempotencyKey);
        var send = (OneWayCallCommandMessage)output[1];
        Assert.Equal(3u, send.InvocationIdNotificationIdx);
        Assert.Equal(5000UL, send.InvokeTime);
    }

    [Fact]
    public void Replayed_send_ignores_invoke_time_but_a_different_target_is_a_mismatch()
    {
        var journaled = new OneWayCallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", Parameter = ByteString.CopyFromUtf8("1"), InvokeTime = 1, InvocationIdNotificationIdx = 1 };
        var (_, same) = new VmTestCase().With(StartWith(2)).With(Input()).With(journaled).Run(vm =>
        {
            vm.SysInput();
            vm.SysSend(new CallTarget("Greeter", "greet"), Utf8("1"), DateTimeOffset.FromUnixTimeMilliseconds(999));
        });
        Assert.Empty(same);

        var (_, different) = new VmTestCase().With(StartWith(2)).With(Input()).With(journaled).Run(vm =>
        {
            vm.SysInput();
            vm.SysSend(new CallTarget("Greeter", "other"), Utf8("1"));
        });
        var error = Assert.IsType<ErrorMessage>(Assert.Single(different));
        Assert.Equal(570u, error.Code);
        Assert.Equal(1u, error.RelatedCommandIndex);
    }

    [Fact]
    public void Different_command_type_on_replay_is_a_journal_mismatch()
    {
        var (_, output) = new VmTestCase().With(StartWith(2)).With(Input()).With(new SleepCommandMessage { ResultCompletionId = 1 }).Run(vm =>
        {
            vm.SysInput();
            vm.SysCall(new CallTarget("Counter", "get", "abc"), ReadOnlyMemory<byte>.Empty);
        });
        Assert.Equal(570u, Assert.IsType<ErrorMessage>(Assert.Single(output)).Code);
    }

    [Fact]
    public void Awakeable_ids_start_at_signal_17_and_never_write_a_command()
    {
        var (_, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var (id, _) = vm.SysAwakeable();
            Assert.Equal("sign_1STxC7Rw88bwBjlJXuZgAfbf08_R-gJWEAAAAEQ", id);
            Assert.True(Protocol.Ids.AwakeableId.TryParse(vm.SysAwakeable().AwakeableId, out var second));
            Assert.Equal(18u, second.SignalIndex);
        }, closeInput: false);
        Assert.Empty(output);
    }

    [Fact]
    public void Race_replays_with_the_winner_of_the_journal_order()
    {
        // Both notifications are in the journal; the sleep (completion 2) was appended first.
        var (_, output) = new VmTestCase()
            .With(StartWith(3)).With(Input())
            .With(new SleepCommandMessage { ResultCompletionId = 1 })
            .With(MessageType.SignalNotification, new NotificationTemplate { SignalId = 17, Value = Bytes("\"awk\"") })
            .Run(vm =>
            {
                vm.SysInput();
                var (_, awakeable) = vm.SysAwakeable();
                var sleep = vm.SysSleep(DateTimeOffset.UnixEpoch);
                var race = new UnresolvedFuture.Combinator(CombinatorKind.FirstCompleted, [new UnresolvedFuture.Single(sleep), new UnresolvedFuture.Single(awakeable)]);
                Assert.IsType<AwaitResult.Completed>(vm.DoAwait(race));
                Assert.True(vm.IsCompleted(awakeable));
                Assert.False(vm.IsCompleted(sleep));
            });
        Assert.Empty(output);
    }

    [Fact]
    public void All_waits_for_every_child_and_first_failure_resolves_it()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var a = vm.SysSleep(DateTimeOffset.UnixEpoch);
        var b = vm.SysSleep(DateTimeOffset.UnixEpoch);
        var all = new UnresolvedFuture.Combinator(CombinatorKind.AllSucceededOrFirstFailed, [new UnresolvedFuture.Single(a), new UnresolvedFuture.Single(b)]);
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SleepCompletion, Completion(1)));
        Assert.IsType<AwaitResult.WaitExternalProgress>(vm.DoAwait(all));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SleepCompletion, new NotificationTemplate { CompletionId = 2, Failure = new Failure { Code = 500, Message = "x" } }));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(all));
    }

    [Fact]
    public void V7_suspension_carries_the_combinator_tree_and_the_cancel_signal()
    {
        var (_, output) = new VmTestCase { Version = ServiceProtocolVersion.V7 }.With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var a = vm.SysSleep(DateTimeOffset.UnixEpoch);
            var (_, awk) = vm.SysAwakeable();
            var all = new UnresolvedFuture.Combinator(CombinatorKind.AllSucceededOrFirstFailed, [new UnresolvedFuture.Single(a), new UnresolvedFuture.Single(awk)]);
            Assert.IsType<AwaitResult.Suspended>(vm.DoAwait(all));
        });

        var root = Assert.IsType<SuspensionMessage>(output[1]).AwaitingOn;
        Assert.Equal(CombinatorType.FirstCompleted, root.CombinatorType);
        Assert.Equal([1u], root.WaitingSignals);
        var nested = Assert.Single(root.NestedFutures);
        Assert.Equal(CombinatorType.AllSucceededOrFirstFailed, nested.CombinatorType);
        Assert.Equal([1u], nested.WaitingCompletions);
        Assert.Equal([17u], nested.WaitingSignals);
    }

    [Fact]
    public void Cancel_signal_cancels_child_calls_and_reports_cancelled()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var call = vm.SysCall(new CallTarget("Blocking", "block", "k"), ReadOnlyMemory<byte>.Empty);
        vm.NotifyInput(FrameEncoder.Encode(MessageType.CallInvocationIdCompletion, new NotificationTemplate { CompletionId = 1, InvocationId = "inv_1child" }));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SignalNotification, new NotificationTemplate { SignalId = 1, Void = new Unit() }));
        Assert.IsType<AwaitResult.Cancelled>(vm.DoAwait(new UnresolvedFuture.Single(call.Result)));

        var output = Decode(vm.TakeOutput(), ServiceProtocolVersion.V6);
        var signal = Assert.IsType<SendSignalCommandMessage>(output[1]);
        Assert.Equal("inv_1child", signal.TargetInvocationId);
        Assert.Equal(1u, signal.Idx);

        // The handler may go on (e.g. compensate): the next await is not cancelled again.
        Assert.IsType<AwaitResult.WaitExternalProgress>(vm.DoAwait(new UnresolvedFuture.Single(call.Result)));
    }

    [Fact]
    public void A_cancel_that_arrives_before_a_child_calls_id_waits_for_the_id_and_cancels_that_child_too()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SignalNotification, new NotificationTemplate { SignalId = 1, Void = new Unit() }));
        var call = vm.SysCall(new CallTarget("Blocking", "block", "k"), ReadOnlyMemory<byte>.Empty);

        // The call's id has not come back yet: the await is held, not answered "cancelled" without it.
        Assert.IsType<AwaitResult.WaitExternalProgress>(vm.DoAwait(new UnresolvedFuture.Single(call.Result)));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.CallInvocationIdCompletion, new NotificationTemplate { CompletionId = 1, InvocationId = "inv_1late" }));
        // Its result arriving meanwhile does not change the decision: this await was cancelled.
        vm.NotifyInput(FrameEncoder.Encode(MessageType.CallCompletion, new NotificationTemplate { CompletionId = 2, Value = new Value() }));
        Assert.IsType<AwaitResult.Cancelled>(vm.DoAwait(new UnresolvedFuture.Single(call.Result)));

        var signal = Decode(vm.TakeOutput(), ServiceProtocolVersion.V6).OfType<SendSignalCommandMessage>().Single();
        Assert.Equal(("inv_1late", 1u), (signal.TargetInvocationId, signal.Idx));
    }

    [Fact]
    public void A_cancel_with_a_child_id_still_unknown_when_the_input_is_closed_suspends_on_the_id()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SignalNotification, new NotificationTemplate { SignalId = 1, Void = new Unit() }));
        var call = vm.SysCall(new CallTarget("Blocking", "block", "k"), ReadOnlyMemory<byte>.Empty);
        vm.NotifyInputClosed();

        Assert.IsType<AwaitResult.Suspended>(vm.DoAwait(new UnresolvedFuture.Single(call.Result)));
        var suspension = Decode(vm.TakeOutput(), ServiceProtocolVersion.V6).OfType<SuspensionMessageV6>().Single();
        Assert.Contains(1u, suspension.WaitingCompletions);
    }

    [Fact]
    public void Awaiting_a_missing_result_while_commands_remain_is_a_mismatch()
    {
        var (_, output) = new VmTestCase()
            .With(StartWith(3)).With(Input())
            .With(new SleepCommandMessage { ResultCompletionId = 1 })
            .With(new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), Value = Bytes("1") })
            .Run(vm =>
            {
                vm.SysInput();
                vm.DoAwait(new UnresolvedFuture.Single(vm.SysSleep(DateTimeOffset.UnixEpoch)));
            });
        Assert.Equal(570u, Assert.IsType<ErrorMessage>(Assert.Single(output)).Code);
    }
}
