using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class FutureTests
{
    private static (MessageType, Google.Protobuf.IMessage) Promise(uint id) =>
        (MessageType.GetPromiseCommand, new GetPromiseCommandMessage { Key = "approved", ResultCompletionId = id });

    private static (MessageType, Google.Protobuf.IMessage) Sleep(uint id) =>
        (MessageType.SleepCommand, new SleepCommandMessage { ResultCompletionId = id });

    private static (MessageType, Google.Protobuf.IMessage) SleepDone(uint id) =>
        (MessageType.SleepCompletion, new NotificationTemplate { CompletionId = id, Void = new Unit() });

    private static string Output(List<Google.Protobuf.IMessage> output) =>
        output.OfType<OutputCommandMessage>().Single().Value.Content.ToStringUtf8();

    [Fact]
    public async Task Race_of_a_promise_and_a_sleep_needs_no_casts_and_reports_the_winner()
    {
        var timedOut = await InvocationHarness.RunAsync<Approval>("run", "", Promise(1), Sleep(2), SleepDone(2));
        Assert.Equal("\"timed out\"", Output(timedOut));

        var approved = await InvocationHarness.RunAsync<Approval>("run", "", Promise(1), Sleep(2),
            (MessageType.GetPromiseCompletion, new NotificationTemplate { CompletionId = 1, Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("true") } }));
        Assert.Equal("\"approved\"", Output(approved));
    }

    [Fact]
    public async Task Race_suspends_on_both_the_promise_and_the_sleep()
    {
        var output = await InvocationHarness.RunAsync<Approval>("run", "");
        Assert.Equal([1u, 2u], Assert.IsType<SuspensionMessageV6>(output.Last()).WaitingCompletions.Order());
    }

    [Fact]
    public async Task OrTimeout_throws_a_terminal_408_when_the_timer_wins()
    {
        var output = await InvocationHarness.RunAsync<Approval>("withTimeout", "", Promise(1), Sleep(2), SleepDone(2));
        Assert.Equal("\"timeout 408\"", Output(output));
    }

    [Fact]
    public async Task Awaiting_a_failed_void_future_throws_its_terminal_failure()
    {
        var output = await InvocationHarness.RunAsync<Approval>("failingVoidRun", "",
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1, Name = "charge" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 1, Failure = new Failure { Code = 402, Message = "declined" } }));
        var failure = output.OfType<OutputCommandMessage>().Single().Failure;
        Assert.Equal((402u, "declined"), (failure.Code, failure.Message));
    }
}
