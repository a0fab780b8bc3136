namespace Keel.Cli.Tests;

/// <summary>`keel --help`, `-h` and `--version` answer without a server and exit 0, as a new user tries first.</summary>
public sealed class HelpAndVersionTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_lists_the_commands_and_global_options(string flag)
    {
        var run = await KeelCli.RunBareAsync(flag);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("keel [command] [options]", run.Stdout, StringComparison.Ordinal);
        foreach (var item in new[] { "deployments", "services", "invocations", "state", "invoke", "sql", "cluster", "--admin-url", "KEEL_ADMIN_URL", "--admin-token", "KEEL_ADMIN_TOKEN", "--version" })
        {
            Assert.Contains(item, run.Stdout, StringComparison.Ordinal);
        }

        Assert.Empty(run.Stderr);
    }

    [Fact]
    public async Task Version_prints_the_package_version()
    {
        var run = await KeelCli.RunBareAsync("--version");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?\r?\n$", run.Stdout);
    }
}
