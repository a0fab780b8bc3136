using System.Diagnostics;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Tests;

public class PumpGuardTests
{
    [Fact]
    public async Task A_context_call_after_ConfigureAwait_false_fails_fast_with_the_cause_and_the_fix()
    {
        var logger = new CapturingLogger();
        var clock = Stopwatch.StartNew();
        var output = await InvocationHarness.RunAsync<Greeter>("offPumpNow", "", logger);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        var error = Assert.IsType<ErrorMessage>(Assert.Single(output));
        Assert.Contains("ctx.NowAsync was called off the invocation's pump", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigureAwait(false)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ctx.RunAsync", error.Message, StringComparison.Ordinal);
        var entry = Assert.Single(logger.Entries);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    [Fact]
    public async Task A_context_call_inside_Task_Run_fails_fast_naming_Task_Run()
    {
        var logger = new CapturingLogger();
        var output = await InvocationHarness.RunAsync<CounterObject>("setFromTaskRun", "", logger);

        var error = Assert.IsType<ErrorMessage>(Assert.Single(output));
        Assert.Contains("ctx.Set was called off the invocation's pump", error.Message, StringComparison.Ordinal);
        Assert.Contains("Task.Run", error.Message, StringComparison.Ordinal);
        Assert.Single(logger.Entries);
    }
}
