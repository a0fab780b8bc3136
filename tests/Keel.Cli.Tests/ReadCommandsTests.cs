using System.Text.Json;

namespace Keel.Cli.Tests;

/// <summary>
/// The read commands (services, deployments, invocations list/describe, sql) on both servers: the same services,
/// statuses and targets in the `--json` output, whichever server answers.
/// </summary>
public sealed class ReadCommandsTests(CliServers servers) : CliTestBase(servers)
{
    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Services_list_and_describe_show_types_handler_kinds_and_settings(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var services = Items(await side.Cli.JsonAsync("services", "list"));
        var shapes = services.Select(s => $"{Str(s, "name")} {Str(s, "type")} [{string.Join(", ", Items(s.GetProperty("handlers")).Select(h => $"{Str(h, "name")}:{Str(h, "kind")}"))}]").ToList();
        Assert.Contains("A VirtualObject [hop:Exclusive, ping:Exclusive]", shapes);
        Assert.Contains("Approval Workflow [approve:Shared, run:Workflow]", shapes);
        Assert.Contains("Backoff Service [run:Service]", shapes);
        Assert.Contains("Profile VirtualObject [get:Shared, put:Exclusive]", shapes);
        Assert.All(services, s => Assert.Equal(side.DeploymentId, Str(s, "deployment_id")));

        var approval = await side.Cli.JsonAsync("services", "describe", "Approval");
        Assert.Equal("Workflow", Str(approval, "type"));
        var settings = approval.GetProperty("settings");
        foreach (var setting in new[] { "idempotency_retention", "workflow_completion_retention", "journal_retention", "abort_timeout" })
        {
            Assert.NotEqual(string.Empty, Str(settings, setting));
        }

        var echo = await side.Cli.JsonAsync("services", "config", "Echo");
        Assert.Equal("1d", Str(echo, "journal_retention"));
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Deployments_list_and_describe_show_the_registered_endpoint(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var deployment = Assert.Single(Items(await side.Cli.JsonAsync("deployments", "list")));
        Assert.Equal(side.DeploymentId, Str(deployment, "id"));
        Assert.StartsWith(side.Services.Url.ToString().TrimEnd('/'), Str(deployment, "endpoint"), StringComparison.Ordinal);
        Assert.Equal("RequestResponse", Str(deployment, "protocol_type"));
        var described = await side.Cli.JsonAsync("deployments", "describe", side.DeploymentId);
        Assert.Contains(Items(described.GetProperty("services")), s => Str(s, "name") == "Sleeper" && Str(s, "type") == "VirtualObject");
    }

    [Fact]
    public async Task Cluster_status_shows_one_node_on_the_embedded_storage_serving_every_partition()
    {
        var side = await SideAsync(ServerKind.Keel);
        var status = await side.Cli.JsonAsync("cluster", "status");
        Assert.Equal("rocksdb", Str(status, "storage"));
        var node = Assert.Single(Items(status.GetProperty("nodes")));
        var partitions = Items(status.GetProperty("partitions")).ToList();
        Assert.Equal(partitions.Select(p => p.GetProperty("partition").GetInt32()), Items(node.GetProperty("partitions")).Select(p => p.GetInt32()));
        Assert.All(partitions, p => Assert.Equal(Str(node, "name"), Str(p, "owner")));

        var table = await side.Cli.RunAsync("cluster", "status");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("PARTITION", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("QUEUE", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Both_servers_list_the_same_invocations_with_the_same_statuses_and_chains()
    {
        var keel = await Shape(await SideAsync(ServerKind.Keel));
        var restate = await Shape(await SideAsync(ServerKind.Restate));
        Assert.Equal(restate, keel);
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Invocations_list_filters_by_service_key_and_status(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var f = side.Fixture;
        var sleeper = await UntilAsync(side, a => Statuses(a).SequenceEqual(["pending", "suspended"]), "Sleeper/busy suspended with a call queued",
            "invocations", "list", "--service", "Sleeper", "--key", "busy");
        Assert.Equal(new[] { f.SleeperBusy, f.SleeperQueued }.Order(), Items(sleeper).Select(i => Str(i, "id")).Order());

        var paused = await UntilAsync(side, a => Items(a).Any(i => Str(i, "id") == f.FlakyPaused), "Flaky paused", "invocations", "list", "--status", "paused");
        Assert.All(Items(paused), i => Assert.Equal("paused", Str(i, "status")));

        var unfinished = Items(await side.Cli.JsonAsync("invocations", "list")).Select(i => Str(i, "id")).ToList();
        Assert.DoesNotContain(f.EchoCompleted, unfinished);
        var all = Items(await side.Cli.JsonAsync("invocations", "list", "--all", "--service", "Echo")).Select(i => Str(i, "id")).ToList();
        Assert.Contains(f.EchoCompleted, all);
        Assert.Single(Items(await side.Cli.JsonAsync("invocations", "list", "--all", "--limit", "1")));
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Invocations_describe_shows_the_journal_the_caller_and_the_deadlock_cycle(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var root = await UntilAsync(side, d => d.GetProperty("cycle").GetBoolean(), "the deadlock's cycle", "invocations", "describe", side.Fixture.DeadlockRoot);
        Assert.Equal($"A/{FixtureInvocations.DeadlockKey}/hop", Str(root, "target"));
        Assert.Equal(string.Empty, Str(root, "invoked_by_id"));
        var waits = Items(root.GetProperty("waits_on"));
        Assert.Equal(["call B", "call A", "lock A"], waits.Select(w => $"{Str(w, "reason")} {Str(w, "target")[0]}"));
        Assert.Equal(side.Fixture.DeadlockRoot, Str(waits[^1], "id"));
        Assert.Contains(Items(root.GetProperty("journal")), e => Str(e, "type") == "Command: Call" && Str(e, "detail").Contains($"B/{FixtureInvocations.DeadlockKey}/hop", StringComparison.Ordinal));

        // The callee's caller is the root.
        var callee = await side.Cli.JsonAsync("invocations", "describe", Str(waits[0], "id"));
        Assert.Equal(side.Fixture.DeadlockRoot, Str(callee, "invoked_by_id"));
        Assert.Equal(side.Fixture.DeadlockRoot, Str(Assert.Single(Items(callee.GetProperty("callers"))), "id"));

        var echo = await side.Cli.JsonAsync("invocations", "describe", side.Fixture.EchoCompleted);
        Assert.Equal("completed", Str(echo, "status"));
        Assert.Equal("success", Str(echo, "completion_result"));
    }

    [Theory]
    [InlineData(ServerKind.Keel)]
    [InlineData(ServerKind.Restate)]
    public async Task Sql_answers_json_csv_and_a_table(ServerKind kind)
    {
        var side = await SideAsync(kind);
        var rows = Items(await side.Cli.JsonAsync("sql", $"SELECT id, target FROM sys_invocation WHERE id = '{side.Fixture.ProfilePut}'"));
        Assert.Equal("Profile/alice/put", Str(Assert.Single(rows), "target"));

        var csv = await side.Cli.RunAsync("sql", "--csv", "SELECT key, value_utf8 FROM state WHERE service_name = 'Profile' AND service_key = 'alice' ORDER BY key");
        Assert.Equal(["key,value_utf8", "name,\"\"\"alice\"\"\"", "visits,3"], csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        var table = await side.Cli.RunAsync("sql", "SELECT 1 AS one");
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("one", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 row(s)", table.Stdout, StringComparison.Ordinal);
    }

    private static List<string> Statuses(JsonElement list) => [.. Items(list).Select(i => Str(i, "status")).Order(StringComparer.Ordinal)];

    /// <summary>What must be the same on both servers: services, the fixture's invocations (target and status) and the deadlock's chain.</summary>
    private static async Task<List<string>> Shape(CliSide side)
    {
        var lines = new List<string>();
        lines.AddRange(Items(await side.Cli.JsonAsync("services", "list")).Select(s =>
            $"service {Str(s, "name")} {Str(s, "type")} {string.Join(",", Items(s.GetProperty("handlers")).Select(h => Str(h, "name") + ":" + Str(h, "kind")))}"));
        var stuck = await UntilAsync(side, a => Items(a).Count(i => Str(i, "key") == FixtureInvocations.DeadlockKey) == 3, "the deadlock listed as stuck",
            "invocations", "list", "--stuck", "--stuck-for", "0s", "--key", FixtureInvocations.DeadlockKey);
        lines.AddRange(Items(stuck).Select(i => $"stuck {Str(i, "target")} {Str(i, "status")} waits on {string.Join(",", Items(i.GetProperty("waiting_on")).Select(w => $"{Str(w, "reason")} {Str(w, "target")}"))}").Order(StringComparer.Ordinal));
        var all = await side.Cli.JsonAsync("invocations", "list", "--all");
        var fixtureIds = new[] { side.Fixture.SleeperBusy, side.Fixture.SleeperQueued, side.Fixture.FlakyPaused, side.Fixture.ProfilePut, side.Fixture.EchoCompleted };
        lines.AddRange(Items(all).Where(i => fixtureIds.Contains(Str(i, "id"))).Select(i => $"invocation {Str(i, "target")} {Str(i, "status")}").Order(StringComparer.Ordinal));
        var described = await side.Cli.JsonAsync("invocations", "describe", side.Fixture.DeadlockRoot);
        lines.Add($"chain {string.Join(" -> ", Items(described.GetProperty("waits_on")).Select(w => Str(w, "target")))} cycle={Str(described, "cycle")}");
        return lines;
    }
}
