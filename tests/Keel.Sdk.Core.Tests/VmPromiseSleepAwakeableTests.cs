using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

public class VmPromiseSleepAwakeableTests
{
    [Fact]
    public void Promise_get_peek_and_complete_write_their_commands_with_completion_ids()
    {
        var (_, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.SysGetPromise("p");
            vm.SysPeekPromise("p");
            vm.SysCompletePromise("p", new CompletionValue.Success(Utf8("\"v\"")));
            vm.SysCompletePromise("q", new CompletionValue.Failure(new TerminalFailure(400, "no")));
        }, closeInput: false);

        Assert.Equal(("p", 1u), (((GetPromiseCommandMessage)output[0]).Key, ((GetPromiseCommandMessage)output[0]).ResultCompletionId));
        Assert.Equal(2u, ((PeekPromiseCommandMessage)output[1]).ResultCompletionId);
        Assert.Equal("\"v\"", ((CompletePromiseCommandMessage)output[2]).CompletionValue.Content.ToStringUtf8());
        Assert.Equal(400u, ((CompletePromiseCommandMessage)output[3]).CompletionFailure.Code);
    }

    [Fact]
    public void Peek_of_an_unresolved_promise_resolves_to_void()
    {
        var (_, output) = new VmTestCase()
            .With(StartWith(3)).With(Input())
            .With(new PeekPromiseCommandMessage { Key = "p", ResultCompletionId = 1 })
            .With(MessageType.PeekPromiseCompletion, Completion(1))
            .Run(vm =>
            {
                vm.SysInput();
                var peek = vm.SysPeekPromise("p");
                Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(peek)));
                Assert.IsType<NotificationResult.Void>(vm.TakeNotification(peek));
            });
        Assert.Empty(output);
    }

    [Fact]
    public void Completing_an_already_completed_promise_surfaces_the_409()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var complete = vm.SysCompletePromise("p", new CompletionValue.Success(Utf8("1")));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.CompletePromiseCompletion,
            new NotificationTemplate { CompletionId = 1, Failure = new Failure { Code = 409, Message = "promise was already completed" } }));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(complete)));
        Assert.Equal(409, Assert.IsType<NotificationResult.Failure>(vm.TakeNotification(complete)).Error.Code);
    }

    [Fact]
    public void Sleep_writes_the_absolute_wake_up_time_and_replays_by_name_only()
    {
        var (_, written) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.SysSleep(DateTimeOffset.FromUnixTimeMilliseconds(123_456), "nap");
        }, closeInput: false);
        Assert.Equal((123_456UL, "nap"), (((SleepCommandMessage)written[0]).WakeUpTime, ((SleepCommandMessage)written[0]).Name));

        var (_, replayed) = new VmTestCase()
            .With(StartWith(2)).With(Input())
            .With(new SleepCommandMessage { WakeUpTime = 1, ResultCompletionId = 1, Name = "nap" })
            .Run(vm =>
            {
                vm.SysInput();
                vm.SysSleep(DateTimeOffset.FromUnixTimeMilliseconds(999_999), "nap");
            });
        Assert.Empty(replayed);
    }

    [Fact]
    public void Awakeable_resolves_from_its_signal_and_completing_one_writes_the_command()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var (id, handle) = vm.SysAwakeable();
        vm.SysCompleteAwakeable(id, new CompletionValue.Failure(new TerminalFailure(500, "rejected")));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SignalNotification, new NotificationTemplate { SignalId = 17, Value = Bytes("\"ok\"") }));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(handle)));
        Assert.Equal("\"ok\"", System.Text.Encoding.UTF8.GetString(((NotificationResult.Success)vm.TakeNotification(handle)!).Value.Span));

        var command = Assert.IsType<CompleteAwakeableCommandMessage>(Assert.Single(Decode(vm.TakeOutput(), ServiceProtocolVersion.V6)));
        Assert.Equal((id, "rejected"), (command.AwakeableId, command.Failure.Message));
    }

    [Fact]
    public void Named_signal_resolves_and_sending_one_writes_a_send_signal_command()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var signal = vm.SysNamedSignal("go");
        vm.SysCompleteNamedSignal("inv_1other", "stop", new CompletionValue.Success(Utf8("1")));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.SignalNotification, new NotificationTemplate { SignalName = "go", Void = new Unit() }));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(signal)));
        var command = Assert.IsType<SendSignalCommandMessage>(Assert.Single(Decode(vm.TakeOutput(), ServiceProtocolVersion.V6)));
        Assert.Equal(("inv_1other", "stop"), (command.TargetInvocationId, command.Name));
    }

    [Fact]
    public void Notification_without_a_result_is_a_protocol_violation()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        var error = Assert.Throws<VmException>(() => vm.NotifyInput(FrameEncoder.Encode(MessageType.SleepCompletion, new NotificationTemplate { CompletionId = 1 })));
        Assert.Equal(571, error.Code);
    }
}
