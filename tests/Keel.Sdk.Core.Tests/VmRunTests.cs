using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

public class VmRunTests
{
    [Fact]
    public void Run_is_executed_then_proposed_and_resolved_by_the_v6_echo()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var h = vm.SysRun("side-effect");
        var future = new UnresolvedFuture.Single(h);
        Assert.Equal(h, Assert.IsType<AwaitResult.ExecuteRun>(vm.DoAwait(future)).Handle);
        vm.ProposeRunCompletion(h, new CompletionValue.Success(Utf8("42")));
        Assert.IsType<AwaitResult.WaitExternalProgress>(vm.DoAwait(future));
        vm.NotifyInput(FrameEncoder.Encode(MessageType.RunCompletion, Completion(1, "42")));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(future));

        var output = Decode(vm.TakeOutput(), ServiceProtocolVersion.V6);
        Assert.Equal("side-effect", ((RunCommandMessage)output[0]).Name);
        Assert.Equal("42", ((ProposeRunCompletionMessage)output[1]).Value.ToStringUtf8());
    }

    [Fact]
    public void V7_proposal_asks_for_an_ack_and_the_ack_resolves_the_run()
    {
        var vm = new Vm(ServiceProtocolVersion.V7);
        vm.NotifyInput(new VmTestCase { Version = ServiceProtocolVersion.V7 }.With(StartWith(1)).With(Input()).InputBytes);
        vm.SysInput();
        var h = vm.SysRun("r");
        Assert.IsType<AwaitResult.ExecuteRun>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        vm.ProposeRunCompletion(h, new CompletionValue.Success(Utf8("1")));
        var bytes = vm.TakeOutput().ToArray();
        var decoder = new FrameDecoder();
        decoder.Push(bytes);
        var frames = decoder.ReadAll().ToList();
        Assert.True(frames[1].Header.RequestedAck);
        vm.NotifyInput(MessageCodec.Encode(new ProposeRunCompletionAckMessage { CompletionId = 1 }));
        Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        Assert.Equal("1", System.Text.Encoding.UTF8.GetString(((NotificationResult.Success)vm.TakeNotification(h)!).Value.Span));
    }

    [Fact]
    public void Run_whose_result_is_journaled_is_not_executed_again()
    {
        var (_, output) = new VmTestCase()
            .With(StartWith(3)).With(Input())
            .With(new RunCommandMessage { ResultCompletionId = 1, Name = "r" })
            .With(MessageType.RunCompletion, Completion(1, "\"done\""))
            .Run(vm =>
            {
                vm.SysInput();
                var h = vm.SysRun("r");
                Assert.IsType<AwaitResult.Completed>(vm.DoAwait(new UnresolvedFuture.Single(h)));
            });
        Assert.Empty(output);
    }

    [Fact]
    public void Request_response_mode_suspends_on_the_proposed_run()
    {
        var (_, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var h = vm.SysRun("r");
            Assert.IsType<AwaitResult.ExecuteRun>(vm.DoAwait(new UnresolvedFuture.Single(h)));
            vm.ProposeRunCompletion(h, new CompletionValue.Success(Utf8("1")));
            Assert.IsType<AwaitResult.Suspended>(vm.DoAwait(new UnresolvedFuture.Single(h)));
        });
        Assert.Equal([1u], Assert.IsType<SuspensionMessageV6>(output[2]).WaitingCompletions);
    }

    [Fact]
    public void Retryable_run_failure_asks_for_a_retry_until_attempts_are_exhausted()
    {
        var policy = new RunRetryPolicy(TimeSpan.FromMilliseconds(100), 2, MaxAttempts: 3);
        var (_, first) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var h = vm.SysRun("r");
            vm.DoAwait(new UnresolvedFuture.Single(h));
            vm.ProposeRunRetryableFailure(h, "flaky", null, TimeSpan.Zero, policy);
        });
        var error = Assert.IsType<ErrorMessage>(first[1]);
        Assert.Equal(100UL, error.NextRetryDelay);
        Assert.Equal(1u, error.RelatedCommandIndex);
        Assert.Equal((uint)MessageType.RunCommand, error.RelatedCommandType);

        var start = StartWith(2);
        start.RetryCountSinceLastStoredEntry = 2;
        var (_, last) = new VmTestCase().With(start).With(Input()).With(new RunCommandMessage { ResultCompletionId = 1, Name = "r" }).Run(vm =>
        {
            vm.SysInput();
            var h = vm.SysRun("r");
            vm.DoAwait(new UnresolvedFuture.Single(h));
            vm.ProposeRunRetryableFailure(h, "flaky", null, TimeSpan.Zero, policy);
        });
        var proposal = Assert.IsType<ProposeRunCompletionMessage>(Assert.Single(last));
        Assert.Equal(500u, proposal.Failure.Code);
    }
}
