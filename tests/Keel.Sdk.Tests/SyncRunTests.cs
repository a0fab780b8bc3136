using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

/// <summary>RunAsync overloads for synchronous closures, next to the async ones they must not capture.</summary>
public class SyncRunTests
{
    private static Dictionary<uint, string> Proposed(List<Google.Protobuf.IMessage> output) =>
        output.OfType<ProposeRunCompletionMessage>().ToDictionary(p => p.ResultCompletionId, p => p.Value.ToStringUtf8());

    [Fact]
    public async Task Synchronous_and_asynchronous_closures_each_journal_their_own_result()
    {
        var output = await InvocationHarness.RunAsync<SyncRuns>("mixed", "");

        var runs = output.OfType<RunCommandMessage>().Select(r => r.Name).ToList();
        Assert.Equal(["value", "awaited", "token", "action", "tokenAction", "asyncAction"], runs);
        var proposed = Proposed(output);
        Assert.Equal(6, proposed.Count);
        Assert.Equal(["42", "7", "5", "", "", ""], proposed.OrderBy(p => p.Key).Select(p => p.Value));
    }

    [Fact]
    public async Task An_async_lambda_without_a_result_binds_to_the_awaited_overload_so_its_late_failure_counts()
    {
        var output = await InvocationHarness.RunAsync<SyncRuns>("asyncActionThrows", "");

        var error = Assert.IsType<ErrorMessage>(output.Last());
        Assert.Equal("late failure", error.Message);
        Assert.True(error.HasNextRetryDelay);   // the run's own retry, as for any closure that throws
        Assert.Empty(output.OfType<ProposeRunCompletionMessage>());
    }

    [Fact]
    public async Task A_synchronous_closure_that_throws_is_a_retryable_run_failure()
    {
        var output = await InvocationHarness.RunAsync<SyncRuns>("syncThrows", "");

        var error = Assert.IsType<ErrorMessage>(output.Last());
        Assert.Equal("sync failure", error.Message);
        Assert.True(error.HasNextRetryDelay);
    }

    [Fact]
    public async Task A_closure_returning_a_ValueTask_is_refused_with_what_to_write_instead()
    {
        var output = await InvocationHarness.RunAsync<SyncRuns>("valueTaskResult", "");

        var error = Assert.IsType<ErrorMessage>(output.Last());
        Assert.Contains("journaled instead of awaited", error.Message, StringComparison.Ordinal);
        Assert.Contains("async () => await", error.Message, StringComparison.Ordinal);
    }
}
