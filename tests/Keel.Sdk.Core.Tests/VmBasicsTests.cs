using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

public class VmBasicsTests
{
    [Fact]
    public void Echo_writes_output_then_end()
    {
        var (vm, output) = new VmTestCase().With(StartWith(1)).With(Input("\"hi\"")).Run(vm =>
        {
            var input = vm.SysInput();
            Assert.Equal("\"hi\"", System.Text.Encoding.UTF8.GetString(input.Input.Span));
            Assert.Equal("my-key", input.Key);
            Assert.Equal(42UL, input.RandomSeed);
            vm.SysWriteOutput(new CompletionValue.Success(input.Input));
            vm.SysEnd();
        });

        Assert.Collection(output,
            m => Assert.Equal("\"hi\"", ((OutputCommandMessage)m).Value.Content.ToStringUtf8()),
            m => Assert.IsType<EndMessage>(m));
        Assert.True(vm.IsOutputClosed);
    }

    [Fact]
    public void Not_ready_until_every_replay_entry_arrived_even_split_at_every_byte()
    {
        var bytes = new VmTestCase().With(StartWith(2)).With(Input()).With(new SetStateCommandMessage { Key = Google.Protobuf.ByteString.CopyFromUtf8("k"), Value = Bytes("1") }).InputBytes;
        var vm = new Vm(ServiceProtocolVersion.V6);
        for (var i = 0; i < bytes.Length - 1; i++)
        {
            vm.NotifyInput(bytes.AsSpan(i, 1));
            Assert.False(vm.IsReadyToExecute);
        }

        vm.NotifyInput(bytes.AsSpan(bytes.Length - 1));
        Assert.True(vm.IsReadyToExecute);
        Assert.True(vm.IsReplaying);
    }

    [Fact]
    public void Input_closed_before_replay_completes_is_a_protocol_violation()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(2)).With(Input()).InputBytes);
        var error = Assert.Throws<VmException>(vm.NotifyInputClosed);
        Assert.Equal(571, error.Code);
        var written = Decode(vm.TakeOutput(), ServiceProtocolVersion.V6);
        Assert.Equal(571u, Assert.IsType<ErrorMessage>(Assert.Single(written)).Code);
    }

    [Fact]
    public void Command_ack_from_the_runtime_is_a_protocol_violation()
    {
        var vm = new Vm(ServiceProtocolVersion.V6);
        vm.NotifyInput(new VmTestCase().With(StartWith(1)).With(Input()).InputBytes);
        var error = Assert.Throws<VmException>(() => vm.NotifyInput(MessageCodec.Encode(new CommandAckMessage { CommandIndex = 1 })));
        Assert.Equal(571, error.Code);
    }

    [Fact]
    public void Terminal_failure_output_carries_code_and_metadata()
    {
        var (_, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.SysWriteOutput(new CompletionValue.Failure(new TerminalFailure(418, "teapot", new Dictionary<string, string> { ["k"] = "v" })));
            vm.SysEnd();
        });

        var failure = ((OutputCommandMessage)output[0]).Failure;
        Assert.Equal(418u, failure.Code);
        Assert.Equal("teapot", failure.Message);
        Assert.Equal("v", Assert.Single(failure.Metadata).Value);
    }

    [Fact]
    public void Retryable_error_writes_error_message_with_retry_delay()
    {
        var (vm, output) = new VmTestCase().With(StartWith(1)).With(Input()).Run(vm =>
        {
            vm.SysInput();
            vm.NotifyError("boom", "at X", TimeSpan.FromSeconds(2));
        });

        var error = Assert.IsType<ErrorMessage>(Assert.Single(output));
        Assert.Equal(500u, error.Code);
        Assert.Equal(2000UL, error.NextRetryDelay);
        Assert.True(vm.IsOutputClosed);
    }
}
