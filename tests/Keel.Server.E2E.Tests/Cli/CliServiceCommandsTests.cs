using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>`restate whoami` and `restate services …`.</summary>
public sealed class CliServiceCommandsTests(CliServers servers) : CliTestBase(servers)
{
    /// <summary>The services of cli.mjs and their flavor column in `services list`.</summary>
    private static readonly Dictionary<string, string> Flavors = new(StringComparer.Ordinal)
    {
        ["A"] = "virtual object",
        ["B"] = "virtual object",
        ["C"] = "virtual object",
        ["Sleeper"] = "virtual object",
        ["Napper"] = "virtual object",
        ["Profile"] = "virtual object",
        ["Echo"] = "virtual object",
        ["Approval"] = "workflow",
        ["Signup"] = "workflow",
        ["Flaky"] = string.Empty,
        ["Fixer"] = string.Empty,
        ["Backoff"] = string.Empty,
    };

    private sealed record Lines(List<string> Expected, List<string> Normalized);

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Whoami_reports_the_admin_service_healthy_and_the_advertised_ingress(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var result = await side.RunAsync("whoami");
            // The last lines are printed without borders whatever the table style: "Advertised ingress address  URL".
            var server = CliOutput.PlainLines(result.Stdout)
                .Where(l => l.Contains("Admin Service", StringComparison.Ordinal) || l.StartsWith("Advertised", StringComparison.Ordinal))
                .Select(l => string.Join(" | ", l.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
                .ToList();
            var warnings = CliOutput.PlainLines(result.Stderr).Concat(CliOutput.PlainLines(result.Stdout))
                .Where(l => l.Contains("WARN", StringComparison.Ordinal) || l.Contains("Could not", StringComparison.Ordinal));
            return new Lines(server, side.Normalize([.. server, .. warnings]).ToList());
        });

        var side = await SideAsync(kind);
        AssertLines(
            [$"[OK]: Admin Service '{side.Server.AdminUrl}' is healthy!", $"Advertised ingress address | {side.Server.IngressUrl}"],
            subject.Expected,
            "whoami's lines about the server");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "whoami (server lines and warnings, normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Services_list_shows_every_service_with_its_flavor_and_deployment(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var table = Assert.Single(CliOutput.Tables((await side.RunAsync("services", "list")).Stdout));
            var rows = table.Rows.Where(r => r.Count > 1 && Flavors.ContainsKey(r[1])).Select(Line).ToList();
            return new Lines([Line(table.Header), .. Sorted(rows)], [side.Normalize(Line(table.Header)), .. Sorted(side.Normalize(rows))]);
        });

        var side = await SideAsync(kind);
        AssertLines(
            [" | NAME | REVISION | FLAVOR | DEPLOYMENT-TYPE | DEPLOYMENT-ID", .. Sorted(Flavors.Select(f => Line(["[public]", f.Key, "1", f.Value, "HTTP", side.DeploymentId])))],
            subject.Expected,
            "services list");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "services list (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Services_describe_shows_the_service_its_deployment_and_its_handlers(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var output = (await side.RunAsync("services", "describe", "A")).Stdout;
            var tables = CliOutput.Tables(output);
            var info = tables.Count > 0 ? tables[0].Rows.Select(Line).ToList() : [];
            var handlers = tables.Where(t => t.Header.Count > 0 && t.Header[0] == "HANDLER")
                .SelectMany(t => t.Rows.Select(Line).Order(StringComparer.Ordinal).Prepend(Line(t.Header))).ToList();
            return new Lines([.. info, .. handlers], [.. side.Normalize(info), .. side.Normalize(handlers)]);
        });

        var side = await SideAsync(kind);
        foreach (var expected in new[]
        {
            "Name: | A", "Service type: | VirtualObject", "Revision: | 1", "Public: | true", $"Deployment ID: | {side.DeploymentId}",
            "Transport: | HTTP/1.1", "Protocol Style: | Request/Response", $"Endpoint: | {side.Services.Url}",
        })
        {
            AssertHasLine(expected, subject.Expected, "services describe A");
        }

        Assert.Equal(
            ["HANDLER | INPUT | OUTPUT", "hop | application/json | application/json", "ping | application/json | application/json"],
            subject.Expected.SkipWhile(l => !l.StartsWith("HANDLER", StringComparison.Ordinal)));
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "services describe A (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Services_status_counts_the_invocations_of_each_handler_by_status_and_shows_the_locked_keys(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            // Settle: the fixture's scheduled, pending and suspended Sleeper invocations are all counted.
            var output = await SettleAsync(
                async () => (await side.RunAsync("services", "status")).Stdout,
                o => Group(o, 0, "Sleeper virtual object").Any(r => r.StartsWith("sleep | - | - | - | - | - | 1", StringComparison.Ordinal)));
            var tables = CliOutput.Tables(output);
            var header = tables.Count > 0 ? Line(tables[0].Header) : "(no summary table)";
            var summary = Group(output, 0, "Sleeper virtual object").Concat(Group(output, 0, "Approval workflow")).ToList();
            // The NOTES column ("Suspended for …") appears only once an invocation has been suspended for a while: left out.
            var keys = Group(output, 1, "Sleeper (", cells: 4).ToList();
            return new Lines([header, .. summary, .. keys], side.Normalize([header, .. summary, .. keys]).ToList());
        });

        var normalized = subject.Normalized;
        AssertLines(
            [
                "| PENDING | SCHEDULED | READY | RUNNING | BACKING-OFF | SUSPENDED | OLDEST-NON-SUSPENDED-INVOCATION",
                "ping | 1 | 1 | - | - | - | - | <inv> pending (invoked <duration> ago)",
                "sleep | - | - | - | - | - | 1 | -",
                "approve | - | - | - | - | - | - | -",
                "run | - | - | - | - | - | 1 | -",
            ],
            normalized.Take(5),
            "services status: the summary rows of Sleeper and Approval");
        AssertHasLine("busy | 1 | <inv> (suspended) | sleep", normalized, "services status: Sleeper's active keys");
        AssertSameAsRestate(reference?.Normalized, normalized, "services status (Sleeper and Approval, normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Services_config_view_shows_a_workflow_with_its_retention(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var rows = KeyValueLines((await side.RunAsync("services", "config", "view", "Approval")).Stdout);
            return new Lines(rows, side.Normalize(rows).ToList());
        });

        foreach (var expected in new[] { "Name: | Approval", "Service type: | Workflow", "Public: | true", "Workflow retention time: | 1d" })
        {
            AssertHasLine(expected, subject.Expected, "services config view Approval");
        }

        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "services config view Approval (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Services_config_patch_sets_the_workflow_completion_retention(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var patched = await side.RunAsync("services", "config", "patch", "Signup", "--workflow-completion-retention", "2d", "--yes");
            var view = KeyValueLines((await side.RunAsync("services", "config", "view", "Signup")).Stdout);
            var (status, body) = await side.Admin.GetJsonAsync("/services/Signup");
            var retention = body is { } b && b.TryGetProperty("workflow_completion_retention", out var r) ? r.ToString() : $"(none: {(int)status} {body})";
            var patchLines = KeyValueLines(patched.Stdout).Concat(CliOutput.PlainLines(patched.Stdout)).Concat(CliOutput.PlainLines(patched.Stderr));
            return new Lines([.. view, "admin API workflow_completion_retention: " + retention], [.. side.Normalize(patchLines), .. side.Normalize(view)]);
        });

        AssertHasLine("Workflow retention time: | 2d", subject.Expected, "services config view Signup after the patch");
        AssertHasLine("admin API workflow_completion_retention: 2d", subject.Expected, "GET /services/Signup after the patch");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "services config patch Signup, then view (normalized)");
    }

    /// <summary>
    /// The rows of one service's group in a `services status` table (0: the summary, 1: the active keys): the rows after
    /// the one starting with <paramref name="group"/>, up to the next group row (a row with only its first cell), sorted.
    /// </summary>
    private static IEnumerable<string> Group(string output, int table, string group, int cells = int.MaxValue)
    {
        var tables = CliOutput.Tables(output);
        if (tables.Count <= table)
        {
            return [];
        }

        return tables[table].Rows.SkipWhile(r => !r[0].StartsWith(group, StringComparison.Ordinal)).Skip(1)
            .TakeWhile(r => r.Skip(1).Any(c => c.Length > 0)).Select(r => Line(r.Take(cells))).Order(StringComparer.Ordinal);
    }
}
