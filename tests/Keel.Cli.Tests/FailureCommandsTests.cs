namespace Keel.Cli.Tests;

/// <summary>A failing invocation is easy to find (listed first) and explains itself (describe shows its error, stack and next step).</summary>
public sealed class FailureCommandsTests(CliServers servers) : CliTestBase(servers)
{
    /// <summary>Backoff/run fails on every attempt and waits an hour before the next: it stays backing-off with its last failure.</summary>
    private static async Task<string> RetryingAsync(CliSide side)
    {
        var id = await side.SendAsync("/Backoff/run");
        await UntilAsync(side, d => Str(d, "status") == "backing-off" && Str(d, "last_failure").Length > 0, "Backoff/run retrying with its failure", "invocations", "describe", id);
        return id;
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task List_puts_failing_invocations_before_newer_healthy_ones(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var retrying = await RetryingAsync(side);
        var healthy = await side.SendAsync($"/Sleeper/{NewKey("newest")}/sleep", 3_600_000);
        await UntilAsync(side, a => Items(a).Any(i => Str(i, "id") == healthy), "the newest invocation listed", "invocations", "list", "--status", "suspended");

        var listed = Items(await side.Cli.JsonAsync("invocations", "list"));
        var failing = listed.Select(i => Str(i, "last_failure").Length > 0).ToList();
        Assert.True(failing[0], $"the first listed has a failure: {listed[0]}");
        Assert.Equal(failing.OrderByDescending(f => f), failing);   // every failing one before every other
        Assert.True(listed.FindIndex(i => Str(i, "id") == retrying) < listed.FindIndex(i => Str(i, "id") == healthy));

        var first = Assert.Single(Items(await side.Cli.JsonAsync("invocations", "list", "--limit", "1")));
        Assert.NotEqual(string.Empty, Str(first, "last_failure"));   // the limit keeps the failing ones

        var table = await side.Cli.RunAsync("invocations", "list");
        Assert.Contains("LAST FAILURE", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("still failing", table.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Describe_shows_the_last_failure_with_its_stack_and_what_to_do_next(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var id = await RetryingAsync(side);

        var described = await side.Cli.RunAsync("invocations", "describe", id);

        Assert.Equal(0, described.ExitCode);
        Assert.Contains("[500 Internal] still failing", described.Stdout, StringComparison.Ordinal);
        Assert.Contains("cli.mjs:", described.Stdout, StringComparison.Ordinal);   // the stack: where the handler threw
        Assert.Contains($"keel invocations cancel|kill {id}", described.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Keel keeps a paused invocation's last failure (restate-server 1.7 clears it when it pauses).</summary>
    [Fact]
    public async Task Describe_of_a_paused_invocation_says_how_to_resume_it_after_the_fix()
    {
        var side = await SideAsync(ServerKind.Keel);
        var id = side.Fixture.FlakyPaused;
        await UntilAsync(side, d => Str(d, "status") == "paused" && Str(d, "last_failure").Length > 0, "Flaky paused with its failure", "invocations", "describe", id);

        var described = await side.Cli.RunAsync("invocations", "describe", id);

        Assert.Contains("fixture is broken", described.Stdout, StringComparison.Ordinal);
        Assert.Contains($"keel invocations resume {id}", described.Stdout, StringComparison.Ordinal);
    }
}
