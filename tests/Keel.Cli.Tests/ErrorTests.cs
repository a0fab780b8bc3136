using Keel.TestSupport;

namespace Keel.Cli.Tests;

/// <summary>Every failure is one line on stderr and a non-zero exit code: 1 for the server's or the user's data, 2 for the command line.</summary>
public sealed class ErrorTests(CliServers servers) : CliTestBase(servers)
{
    [Fact]
    public async Task An_unreachable_server_is_named_with_its_url()
    {
        var side = await SideAsync(ServerKind.Keel);
        var closed = $"http://127.0.0.1:{FreePort.Next()}";
        var run = await side.Cli.RunAsync("services", "list", "--admin-url", closed);
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: cannot reach the admin API at " + closed, line, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Unknown_and_malformed_arguments_fail_with_one_line(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var unknownId = side.Fixture.EchoCompleted[..^4] + "zzzz";
        await Expect(side, 1, "no invocation " + unknownId, "invocations", "describe", unknownId);
        await Expect(side, 1, "404", "invocations", "cancel", unknownId, "--yes");
        await Expect(side, 2, "is not an invocation id", "invocations", "describe", "inv_nope");
        await Expect(side, 2, "is not a duration", "services", "config", "Signup", "--workflow-completion-retention", "2 fortnights");
        await Expect(side, 1, "Nope", "services", "describe", "Nope");
        await Expect(side, 2, "Unrecognized command or argument 'frob'", "invocations", "frob");
        await Expect(side, 2, "not Service/handler", "invoke", "Echo");
        await Expect(side, 1, "error:", "sql", "SELECT nope FROM nowhere");
    }

    private static async Task Expect(CliSide side, int code, string fragment, params string[] arguments)
    {
        var run = await side.Cli.RunAsync(arguments);
        Assert.True(run.ExitCode == code, $"expected exit code {code}: {run}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(fragment, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }
}
