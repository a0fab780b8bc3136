using Keel.Server.Hosting;

namespace Keel.Server.Tests.Hosting;

/// <summary>keel-server --help and --version: answered instead of starting a server, the help naming every setting three ways.</summary>
public class ServerUsageTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("-?")]
    [InlineData("--data-dir", "/tmp/x", "--help")]
    [InlineData("--partitions", "not-a-number", "-h")]   // a mistake elsewhere never hides the help
    public void Help_is_asked_for_anywhere_on_the_command_line(params string[] args)
    {
        var answer = ServerSettings.InformationalAnswer(args);
        Assert.NotNull(answer);
        Assert.StartsWith("Usage: keel-server [options]", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void The_help_lists_every_setting_with_its_environment_variable_config_key_and_a_description()
    {
        var lines = ServerSettings.Usage().Split(Environment.NewLine);
        Assert.Contains(lines, l => l.StartsWith("  --config <file>  (KEEL_CONFIG)", StringComparison.Ordinal));
        foreach (var (flag, env, json) in ServerSettings.Names)
        {
            var at = Array.FindIndex(lines, l => l.StartsWith($"  {flag}", StringComparison.Ordinal) && (l.Length == flag.Length + 2 || l[flag.Length + 2] == ' '));
            Assert.True(at >= 0, $"{flag} is not in the help:\n{string.Join('\n', lines)}");
            Assert.EndsWith($"  ({env}, \"{json}\")", lines[at], StringComparison.Ordinal);
            Assert.DoesNotContain("<value>", lines[at], StringComparison.Ordinal);   // the placeholder of a setting without a description
            var description = lines[at + 1];
            Assert.True(description.StartsWith("      ", StringComparison.Ordinal) && description.Trim().Length > 10, $"{flag} has no description: '{description}'");
        }
    }

    [Fact]
    public void Version_prints_the_package_version()
    {
        var answer = ServerSettings.InformationalAnswer(["--version"]);
        Assert.NotNull(answer);
        // The assembly's informational version: the one version of every Keel package (Directory.Build.props), then the commit.
        Assert.Matches(@"^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?\r?\n$", answer);
    }

    [Fact]
    public void Settings_alone_start_a_server_and_an_unknown_option_points_at_the_help()
    {
        Assert.Null(ServerSettings.InformationalAnswer(["--data-dir", "/tmp/x", "--ingress-port", "8081"]));
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load(["--halp"], _ => null));
        Assert.Equal("Unknown option '--halp' (keel-server --help lists the options).", error.Message);
    }
}
