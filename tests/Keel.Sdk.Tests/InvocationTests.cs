using Keel.Protocol.Framing;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class InvocationTests
{
    [Fact]
    public async Task Handler_result_becomes_output_then_end()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("greet", "\"Ada\"");
        Assert.Equal("\"Hello Ada\"", Assert.IsType<OutputCommandMessage>(output[0]).Value.Content.ToStringUtf8());
        Assert.IsType<EndMessage>(output[1]);
    }

    [Fact]
    public async Task Terminal_exception_becomes_a_failure_output()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("fail", "");
        var failure = Assert.IsType<OutputCommandMessage>(output[0]).Failure;
        Assert.Equal((418u, "nope", "teapot"), (failure.Code, failure.Message, failure.Metadata[0].Value));
    }

    [Fact]
    public async Task Other_exceptions_are_retryable_errors()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("crash", "");
        var error = Assert.IsType<ErrorMessage>(Assert.Single(output));
        Assert.Contains("transient", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_branches_journal_in_the_same_order_every_time()
    {
        string Order(List<Google.Protobuf.IMessage> output) => string.Join(" ", output.OfType<OneWayCallCommandMessage>().Select(c => c.Parameter.ToStringUtf8()));
        var first = Order(await InvocationHarness.RunAsync<Greeter>("branches", ""));
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(first, Order(await InvocationHarness.RunAsync<Greeter>("branches", "")));
        }

        Assert.Equal("\"a-1\" \"b-1\" \"a-2\" \"b-2\"", first);
    }

    [Fact]
    public async Task Awaiting_with_closed_input_suspends_on_the_sleep()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("sleepThenRun", "");
        Assert.IsType<SleepCommandMessage>(output[0]);
        Assert.Equal([1u], Assert.IsType<SuspensionMessageV6>(output[1]).WaitingCompletions);
    }

    [Fact]
    public async Task Replayed_sleep_and_run_finish_without_executing_the_run_again()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("sleepThenRun", "",
            (MessageType.SleepCommand, new SleepCommandMessage { ResultCompletionId = 1 }),
            (MessageType.SleepCompletion, new NotificationTemplate { CompletionId = 1, Void = new Unit() }),
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 2, Name = "answer" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 2, Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("7") } }));

        // 7 comes from the journal; the closure (which returns 42) is not run again.
        Assert.Equal("7", Assert.IsType<OutputCommandMessage>(output[0]).Value.Content.ToStringUtf8());
    }
}
