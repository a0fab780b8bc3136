using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.Tests;

public class FailureLoggingTests
{
    [Fact]
    public async Task A_failed_attempt_is_logged_once_with_id_target_attempt_and_exception()
    {
        var logger = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<Greeter>("crash", "", logger);

        Assert.IsType<ErrorMessage>(Assert.Single(output));
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("(Greeter/k/crash)", entry.Message, StringComparison.Ordinal);
        Assert.Contains("attempt 1 failed", entry.Message, StringComparison.Ordinal);
        Assert.Contains("then pauses it", entry.Message, StringComparison.Ordinal);   // what happens next
        Assert.StartsWith("Invocation inv_", entry.Message, StringComparison.Ordinal);
        Assert.Equal("transient", Assert.IsType<InvalidOperationException>(entry.Exception).Message);
    }

    [Fact]
    public async Task A_terminal_failure_is_logged_once_at_information_without_a_stack()
    {
        var logger = new CapturingLogger();
        await InvocationHarness.RunAsync<Greeter>("fail", "", logger);

        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
        Assert.Contains("ended with a terminal error, code 418: nope", entry.Message, StringComparison.Ordinal);
        Assert.Null(entry.Exception);
    }

    [Fact]
    public async Task A_retried_run_is_logged_once_with_its_next_delay()
    {
        var logger = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<Greeter>("flakyRun", "", logger);

        var error = Assert.IsType<ErrorMessage>(output.Last());
        Assert.Equal(50ul, error.NextRetryDelay);
        var entry = Assert.Single(logger.Entries);
        Assert.Contains("Run 'charge'", entry.Message, StringComparison.Ordinal);
        Assert.Contains("retrying in 00:00:00.05", entry.Message, StringComparison.Ordinal);
        Assert.Equal("gateway down", entry.Exception?.Message);
    }

    [Fact]
    public async Task A_run_out_of_retries_is_logged_then_the_terminal_failure_too()
    {
        var logger = new CapturingLogger();
        await InvocationHarness.RunAsync<Greeter>("flakyRunOnce", "", logger);

        Assert.Contains("has no retries left", Assert.Single(logger.Entries, e => e.EventId.Id == 4).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logger.Entries, e => e.EventId.Id == 3);
    }

    [Fact]
    public async Task Replayed_failures_log_nothing()
    {
        var logger = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<Greeter>("catchRunFailure", "", logger,
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1, Name = "charge" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 1, Failure = new Failure { Code = 402, Message = "declined" } }));

        Assert.IsType<SuspensionMessageV6>(output.Last());
        Assert.Empty(logger.Entries);
    }

    [Theory]
    [InlineData("length", "")]
    [InlineData("length", "null")]
    [InlineData("twice", "")]
    public async Task A_missing_input_for_a_non_nullable_parameter_is_a_terminal_400_naming_handler_and_parameter(string handler, string body)
    {
        var logger = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<Greeter>(handler, body, logger);

        var failure = Assert.IsType<OutputCommandMessage>(output[0]).Failure;
        Assert.Equal(400u, failure.Code);
        Assert.Contains($"Greeter/{handler}", failure.Message, StringComparison.Ordinal);
        Assert.Contains(handler == "twice" ? "'value'" : "'text'", failure.Message, StringComparison.Ordinal);
        Assert.IsType<EndMessage>(output[1]);
        Assert.Single(logger.Entries);
    }

    [Fact]
    public async Task A_nullable_parameter_accepts_a_missing_input()
    {
        var output = await InvocationHarness.RunAsync<Greeter>("lengthOrZero", "");
        Assert.Equal("0", Assert.IsType<OutputCommandMessage>(output[0]).Value.Content.ToStringUtf8());
    }

    [Fact]
    public async Task Replaying_an_attempt_that_fails_again_logs_that_attempt_once()
    {
        var logger = new CapturingLogger();
        await InvocationHarness.RunAsync<Greeter>("logAround", "", logger,
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1, Name = "answer" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 1, Value = new Value { Content = ByteString.CopyFromUtf8("1") } }));
        Assert.Equal(["after"], logger.Lines);
    }
}
