namespace Keel.Cli.Tests;

/// <summary>The commands that change things, on Keel: invoke, state set/get/clear, services config, deployments register/remove.</summary>
public sealed class WriteCommandsTests(CliServers servers) : CliTestBase(servers)
{
    [Fact]
    public async Task Invoke_calls_sends_and_state_commands_read_and_write_an_objects_state()
    {
        var side = await SideAsync(ServerKind.Keel);
        var key = NewKey("st");
        var put = await side.Cli.RunAsync("invoke", $"Profile/{key}/put", """{"name":"ada","visits":1}""");
        Assert.True(put.ExitCode == 0, put.ToString());

        var sent = await side.Cli.JsonAsync("invoke", $"Profile/{key}/get", "\"name\"", "--send");
        Assert.StartsWith("inv_", Str(sent, "invocation_id"), StringComparison.Ordinal);

        var state = Items(await side.Cli.JsonAsync("state", "get", "Profile", key));
        Assert.Equal(["name=\"ada\"", "visits=1"], state.Select(e => $"{Str(e, "name")}={e.GetProperty("value").GetRawText()}"));

        await side.Cli.JsonAsync("state", "set", "Profile", key, "visits", "42");
        var visits = await side.Cli.RunAsync("invoke", $"Profile/{key}/get", "\"visits\"");
        Assert.Equal("42", visits.Stdout.Trim());

        await side.Cli.JsonAsync("state", "clear", "Profile", key, "name");
        Assert.Equal(["visits"], Items(await side.Cli.JsonAsync("state", "get", "Profile", key)).Select(e => Str(e, "name")));
        await side.Cli.JsonAsync("state", "clear", "Profile", key, "--yes");
        Assert.Empty(Items(await side.Cli.JsonAsync("state", "get", "Profile", key)));

        var missing = await side.Cli.RunAsync("state", "get", "Profile", key, "nope");
        Assert.Equal(1, missing.ExitCode);
    }

    [Fact]
    public async Task Services_config_patches_retention_and_the_deadlock_policy_and_deployments_register_and_remove()
    {
        var side = await SideAsync(ServerKind.Keel);
        var patched = await side.Cli.JsonAsync("services", "config", "Signup", "--workflow-completion-retention", "2d", "--journal-retention", "1h");
        Assert.Equal(("2d", "1h"), (Str(patched, "workflow_completion_retention"), Str(patched, "journal_retention")));
        Assert.Equal("2d", Str((await side.Cli.JsonAsync("services", "describe", "Signup")).GetProperty("settings"), "workflow_completion_retention"));

        // Keel's own deadlock policy: shown (report by default), set, refused when neither report nor fail.
        Assert.Equal("report", Str(await side.Cli.JsonAsync("services", "config", "Signup"), "deadlock"));
        Assert.Equal("fail", Str(await side.Cli.JsonAsync("services", "config", "Signup", "--deadlock", "fail"), "deadlock"));
        var shown = await side.Cli.RunAsync("services", "config", "Signup");
        Assert.Contains(shown.Stdout.Split('\n'), l => l.StartsWith("deadlock:", StringComparison.Ordinal) && l.TrimEnd().EndsWith("fail", StringComparison.Ordinal));
        Assert.Equal(2, (await side.Cli.RunAsync("services", "config", "Signup", "--deadlock", "abort")).ExitCode);
        Assert.Equal("report", Str(await side.Cli.JsonAsync("services", "config", "Signup", "--deadlock", "report"), "deadlock"));

        // The same endpoint again is the same deployment; removing the only one serving services needs --force.
        var again = await side.Cli.JsonAsync("deployments", "register", side.Services.Url.ToString(), "--http1");
        Assert.Equal(side.DeploymentId, Str(again, "id"));
        var refused = await side.Cli.RunAsync("deployments", "remove", side.DeploymentId, "--yes");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--force", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
    }
}
