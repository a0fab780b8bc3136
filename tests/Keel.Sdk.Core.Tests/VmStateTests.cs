using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

public class VmStateTests
{
    [Fact]
    public void Eager_read_is_ready_at_once_and_still_consumes_a_completion_id()
    {
        var (_, output) = new VmTestCase().With(StartWith(1, false, ("a", "1"))).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var a = vm.SysStateGet("a");
            var missing = vm.SysStateGet("b");
            Assert.Equal("1", System.Text.Encoding.UTF8.GetString(Assert.IsType<NotificationResult.Success>(vm.TakeNotification(a)).Value.Span));
            Assert.IsType<NotificationResult.Void>(vm.TakeNotification(missing));
            vm.SysSleep(DateTimeOffset.FromUnixTimeMilliseconds(1000));
        }, closeInput: false);

        Assert.Equal("1", ((GetEagerStateCommandMessage)output[0]).Value.Content.ToStringUtf8());
        Assert.Equal(GetEagerStateCommandMessage.ResultOneofCase.Void, ((GetEagerStateCommandMessage)output[1]).ResultCase);
        Assert.Equal(3u, ((SleepCommandMessage)output[2]).ResultCompletionId);
    }

    [Fact]
    public void Partial_state_reads_lazily_and_suspends_waiting_for_the_value()
    {
        var (_, output) = new VmTestCase().With(StartWith(1, partialState: true)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var h = vm.SysStateGet("a");
            Assert.IsType<AwaitResult.Suspended>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        });

        Assert.Equal(1u, ((GetLazyStateCommandMessage)output[0]).ResultCompletionId);
        var suspension = Assert.IsType<SuspensionMessageV6>(output[1]);
        Assert.Equal([1u], suspension.WaitingCompletions);
        Assert.Equal([1u], suspension.WaitingSignals);
    }

    [Fact]
    public void Lazy_read_resolves_from_a_pushed_notification()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1, partialState: true)).With(Input()).InputBytes);
        vm.SysInput();
        var h = vm.SysStateGet("a");
        Assert.IsType<AwaitResult.WaitExternalProgress>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.GetLazyStateCompletion, Completion(1, "7")));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        Assert.IsType<NotificationResult.Success>(vm.TakeNotification(h));
    }

    [Fact]
    public void Set_then_get_reads_the_local_value_and_keys_are_sorted()
    {
        var (_, output) = new VmTestCase().With(StartWith(1, false, ("z", "1"))).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.SysStateSet("b", Utf8("2"));
            var b = vm.SysStateGet("b");
            Assert.IsType<NotificationResult.Success>(vm.TakeNotification(b));
            var keys = vm.SysStateGetKeys();
            Assert.Equal(["b", "z"], Assert.IsType<NotificationResult.StateKeys>(vm.TakeNotification(keys)).Keys);
            vm.SysStateClearAll();
            Assert.IsType<NotificationResult.Void>(vm.TakeNotification(vm.SysStateGet("z")));
        });

        Assert.Equal(["b", "z"], ((GetEagerStateKeysCommandMessage)output[2]).Value.Keys.Select(k => k.ToStringUtf8()));
    }

    [Fact]
    public void Replay_takes_eager_results_from_the_journal_not_from_the_state_map()
    {
        var journaled = new GetEagerStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), Value = Bytes("old") };
        var (vm, output) = new VmTestCase().With(StartWith(2, false, ("a", "new"))).With(Input()).With(journaled).Run(vm =>
        {
            vm.SysInput();
            var h = vm.SysStateGet("a");
            Assert.Equal("old", System.Text.Encoding.UTF8.GetString(((NotificationResult.Success)vm.TakeNotification(h)!).Value.Span));
            Assert.False(vm.IsReplaying);
        });

        Assert.Empty(output);
    }

    [Fact]
    public void Replayed_lazy_read_is_accepted_by_an_eager_attempt()
    {
        var (_, output) = new VmTestCase()
            .With(StartWith(3, false, ("a", "x"))).With(Input())
            .With(new GetLazyStateCommandMessage { Key = ByteString.CopyFromUtf8("a"), ResultCompletionId = 1 })
            .With(MessageType.GetLazyStateCompletion, Completion(1, "lazy"))
            .Run(vm =>
            {
                vm.SysInput();
                var h = vm.SysStateGet("a");
                Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(h)));
                Assert.Equal("lazy", System.Text.Encoding.UTF8.GetString(((NotificationResult.Success)vm.TakeNotification(h)!).Value.Span));
            });
        Assert.Empty(output);
    }
}
