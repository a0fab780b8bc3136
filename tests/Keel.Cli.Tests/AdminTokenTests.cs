using Keel.TestSupport;

namespace Keel.Cli.Tests;

/// <summary>
/// `keel` against a Keel server whose admin API asks for a bearer token: without one every command fails with one line
/// saying where the token goes; with it (--admin-token or KEEL_ADMIN_TOKEN, the option winning) the commands work.
/// </summary>
public sealed class AdminTokenTests(AdminTokenTests.TokenServer server) : IClassFixture<AdminTokenTests.TokenServer>
{
    public const string Token = "cli-tests-0123456789abcdef";

    private const string NeedsToken = "needs a token: --admin-token or KEEL_ADMIN_TOKEN";

    [Theory]
    [InlineData("services", "list")]
    [InlineData("deployments", "list")]
    [InlineData("sql", "SELECT id FROM sys_invocation")]
    [InlineData("invocations", "list")]
    [InlineData("invocations", "cancel", "inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz", "--yes")]
    [InlineData("state", "get", "Profile", "alice")]
    public async Task Without_a_token_a_command_fails_with_one_line_naming_both_ways_to_give_it(params string[] arguments)
    {
        var run = await server.Cli().RunAsync(arguments);
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.Equal($"error: the admin API at {server.Server.AdminUrl} {NeedsToken}", line);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_and_not_echoed()
    {
        const string wrong = "not-the-token-0123456789";
        var run = await server.Cli().RunAsync("services", "list", "--admin-token", wrong);
        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("refused the token: check --admin-token or KEEL_ADMIN_TOKEN", Assert.Single(run.ErrorLines), StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_option_reads_and_writes_work()
    {
        var cli = server.Cli();
        var services = await cli.JsonAsync("services", "list", "--admin-token", Token);
        Assert.Contains(services.EnumerateArray(), s => s.GetProperty("name").GetString() == "Signup");

        var config = await cli.JsonAsync("services", "config", "Signup", "--journal-retention", "1h", "--admin-token", Token);
        Assert.Equal("1h", config.GetProperty("journal_retention").GetString());

        var rows = await cli.JsonAsync("sql", "SELECT name FROM sys_service WHERE name = 'Signup'", "--admin-token", Token);
        Assert.Equal("Signup", Assert.Single(rows.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task With_the_environment_variable_the_commands_work()
    {
        var cli = server.Cli(new Dictionary<string, string> { ["KEEL_ADMIN_TOKEN"] = Token });
        var deployments = await cli.JsonAsync("deployments", "list");
        var endpoint = Assert.Single(deployments.EnumerateArray()).GetProperty("endpoint").GetString();
        Assert.StartsWith(server.Services.Url.ToString().TrimEnd('/'), endpoint, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_option_wins_over_the_environment_variable()
    {
        var wrongInEnvironment = server.Cli(new Dictionary<string, string> { ["KEEL_ADMIN_TOKEN"] = "stale-token-0123456789abcdef" });
        var refused = await wrongInEnvironment.RunAsync("deployments", "list");
        Assert.True(refused.ExitCode == 1, refused.ToString());

        var deployments = await wrongInEnvironment.JsonAsync("deployments", "list", "--admin-token", Token);
        Assert.Equal(1, deployments.GetArrayLength());
    }

    /// <summary>A Keel server with an admin token and the cli.mjs services registered (with the token).</summary>
    public sealed class TokenServer : IAsyncLifetime
    {
        private KeelServerProcess? _server;
        private NodeServicesProcess? _services;

        public KeelServerProcess Server => _server!;

        public NodeServicesProcess Services => _services!;

        public KeelCli Cli(IReadOnlyDictionary<string, string>? environment = null) => new(Server.AdminUrl, Server.IngressUrl, environment);

        public async Task InitializeAsync()
        {
            _server = await KeelServerProcess.StartAsync(new KeelServerOptions { AdminToken = Token });
            _services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
            using var admin = new AdminClient(_server.AdminUrl, Token);
            (await admin.RegisterDeploymentAsync(_services.Url, useHttp11: true)).Dispose();
        }

        public async Task DisposeAsync()
        {
            if (_services is not null)
            {
                await _services.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
