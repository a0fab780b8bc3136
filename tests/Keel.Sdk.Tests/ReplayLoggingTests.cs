using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class ReplayLoggingTests
{
    [Fact]
    public async Task Context_logger_is_quiet_while_replaying()
    {
        var fresh = new CapturingLogger();
        await InvocationHarness.RunAsync<Greeter>("logAround", "", fresh);
        Assert.Equal(["before"], fresh.Lines);

        var replayed = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<Greeter>("logAround", "", replayed,
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1, Name = "answer" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 1, Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("1") } }));
        Assert.IsType<OutputCommandMessage>(output[0]);
        Assert.Equal(["after"], replayed.Lines);
    }
}
