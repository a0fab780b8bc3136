using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>
/// The official `restate` CLI against a Keel server whose admin API asks for a bearer token: the CLI sends
/// <c>RESTATE_AUTH_TOKEN</c> as one, so with it registering and listing work, and without it both are refused.
/// Keel only (restate-server's admin API has no token to ask for): a server and an endpoint of its own.
/// </summary>
public sealed class CliAdminTokenTests(CliAdminTokenTests.TokenServer server) : IClassFixture<CliAdminTokenTests.TokenServer>
{
    public const string Token = "restate-cli-tests-0123456789abcdef";

    [Fact]
    public async Task With_RESTATE_AUTH_TOKEN_the_cli_registers_and_lists_and_without_it_is_refused()
    {
        using var anonymous = new RestateCli(server.Server.AdminUrl);
        var refused = await anonymous.RunAsync("deployments", "register", server.Services.Url.ToString(), "--use-http1.1", "--yes");
        Assert.False(refused.Succeeded, refused.ToString());
        Assert.Contains("401", refused.Stdout + refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("RESTATE_AUTH_TOKEN", refused.Stdout + refused.Stderr, StringComparison.Ordinal);

        using var wrong = new RestateCli(server.Server.AdminUrl) { AuthToken = "not-the-token-0123456789abcdef" };
        var wrongList = await wrong.RunAsync("services", "list");
        Assert.False(wrongList.Succeeded, wrongList.ToString());
        Assert.Contains("401", wrongList.Stdout + wrongList.Stderr, StringComparison.Ordinal);

        using var cli = new RestateCli(server.Server.AdminUrl) { AuthToken = Token };
        var registered = (await cli.RunAsync("deployments", "register", server.Services.Url.ToString(), "--use-http1.1", "--yes")).EnsureSuccess();
        Assert.Contains("Signup", registered.Stdout, StringComparison.Ordinal);

        var services = (await cli.RunAsync("services", "list")).EnsureSuccess();
        Assert.Contains("Signup", services.Stdout, StringComparison.Ordinal);
        var deployments = (await cli.RunAsync("deployments", "list")).EnsureSuccess();
        Assert.Contains(server.Services.Url.ToString().TrimEnd('/'), deployments.Stdout, StringComparison.Ordinal);

        // Still refused without the token, now that there is something to list.
        var anonymousList = await anonymous.RunAsync("services", "list");
        Assert.False(anonymousList.Succeeded, anonymousList.ToString());
        Assert.DoesNotContain("Signup", anonymousList.Stdout, StringComparison.Ordinal);
    }

    /// <summary>A Keel server with an admin token, and the cli.mjs services not registered yet (the test registers them).</summary>
    public sealed class TokenServer : IAsyncLifetime
    {
        private KeelServerProcess? _server;
        private NodeServicesProcess? _services;

        public KeelServerProcess Server => _server!;

        public NodeServicesProcess Services => _services!;

        public async Task InitializeAsync()
        {
            _server = await KeelServerProcess.StartAsync(new KeelServerOptions { AdminToken = Token });
            _services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
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
