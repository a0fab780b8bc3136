using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class CancellationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public CancellationTests() => Probes.Reset();

    [Fact]
    public void The_cancellation_token_parameter_is_not_part_of_the_input()
    {
        var definition = ServiceDefinition.For<Cancellable>();
        Assert.Equal(typeof(string), definition.Handlers["wait"].InputType);
        Assert.True(definition.Handlers["wait"].TakesCancellationToken);
        Assert.Null(definition.Handlers["compensateOnCancel"].InputType);
        Assert.False(definition.Handlers["blockInRun"].TakesCancellationToken);
    }

    [Fact]
    public async Task An_aborted_attempt_fires_the_handler_token_and_runs_its_finally()
    {
        using var live = await LiveInvocation.StartAsync<Cancellable>("wait", "\"x\"");
        await Probes.Started.Task.WaitAsync(Patience);
        Assert.False(Probes.FinallyRan.Task.IsCompleted);

        await live.AbortAsync();

        await Probes.TokenFired.Task.WaitAsync(Patience);
        await Probes.FinallyRan.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_suspended_attempt_also_lets_the_handler_unwind()
    {
        var output = await InvocationHarness.RunAsync<Cancellable>("wait", "\"x\"");
        Assert.IsType<SuspensionMessageV6>(output.Last());
        await Probes.TokenFired.Task.WaitAsync(Patience);
        await Probes.FinallyRan.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task An_aborted_attempt_cancels_the_run_closure_token_and_runs_its_finally()
    {
        using var live = await LiveInvocation.StartAsync<Cancellable>("blockInRun", "");
        await Probes.Started.Task.WaitAsync(Patience);

        await live.AbortAsync();

        await Probes.FinallyRan.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task The_cancel_signal_fires_the_tokens_and_the_await_throws_CancelledException()
    {
        using var live = await LiveInvocation.StartAsync<Cancellable>("compensateOnCancel", "");
        await Probes.Started.Task.WaitAsync(Patience);

        await live.SendCancelSignalAsync();

        await Probes.FinallyRan.Task.WaitAsync(Patience);
        Assert.Equal("409 token:True refund token:False", await Probes.Outcome.Task.WaitAsync(Patience));
        // The runtime journals the refund (V6 echoes the proposed run completion); the handler then rethrows.
        await live.SendAsync(Keel.Protocol.Framing.MessageType.RunCompletion,
            new NotificationTemplate { CompletionId = 2, Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("\"refunded\"") } });
        var output = await live.FinishAsync();
        var block = Assert.Single(output.OfType<ProposeRunCompletionMessage>(), p => p.ResultCompletionId == 1);
        Assert.Equal(409u, block.Failure.Code);
        var failure = Assert.IsType<OutputCommandMessage>(output.Last(m => m is OutputCommandMessage)).Failure;
        Assert.Equal(409u, failure.Code);
        Assert.IsType<EndMessage>(output.Last());
    }

    [Fact]
    public async Task An_application_409_is_a_TerminalException_but_not_a_CancelledException()
    {
        var cancelled = new CancelledException();
        Assert.Equal(TerminalException.CancelledCode, cancelled.Code);
        Assert.IsAssignableFrom<TerminalException>(cancelled);

        var output = await InvocationHarness.RunAsync<Cancellable>("applicationConflict", "");
        Assert.Equal(409u, Assert.IsType<OutputCommandMessage>(output[0]).Failure.Code);
    }
}
