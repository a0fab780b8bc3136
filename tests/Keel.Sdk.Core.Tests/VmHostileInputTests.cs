using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using static Keel.Sdk.Core.Tests.VmTestCase;

namespace Keel.Sdk.Core.Tests;

/// <summary>Input from a broken or hostile runtime that the fuzz tests (Fuzz/) found mishandled: each ends as a protocol error (571).</summary>
public class VmHostileInputTests
{
    [Fact]
    public void An_awakeable_under_a_start_message_whose_id_is_not_an_invocation_id_is_a_protocol_violation()
    {
        var start = StartWith(1);
        start.Id = ByteString.CopyFrom(1, 2, 3);
        var (vm, output) = new VmTestCase().With(start).With(Input()).Run(vm =>
        {
            vm.SysInput();
            var error = Assert.Throws<VmException>(() => vm.SysAwakeable());
            Assert.Equal(571, error.Code);
        });

        Assert.Equal(571u, Assert.IsType<ErrorMessage>(Assert.Single(output)).Code);
        Assert.True(vm.IsOutputClosed);
    }
}
