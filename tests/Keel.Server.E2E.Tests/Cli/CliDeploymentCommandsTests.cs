using System.Net;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>`restate deployments list | describe | remove`.</summary>
public sealed class CliDeploymentCommandsTests(CliServers servers) : CliTestBase(servers)
{
    private static readonly string[] ServiceNames = ["A", "Approval", "B", "Backoff", "C", "Echo", "Fixer", "Flaky", "Napper", "Profile", "Signup", "Sleeper"];

    private sealed record Lines(List<string> Expected, List<string> Normalized);

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Deployments_list_shows_the_endpoint_its_id_and_its_services(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var table = Assert.Single(CliOutput.Tables((await side.RunAsync("deployments", "list")).Stdout));
            var row = table.Rows.FirstOrDefault(r => r.Count == 5 && r[2] == side.DeploymentId);
            List<string> lines = row is null
                ? [Line(table.Header), "(no row for the deployment)"]
                : [Line(table.Header), Line(row.Take(3)), .. Sorted(row[4].Split('\n'))];
            List<string> normalized = row is null ? [.. side.Normalize(lines)] : [.. side.Normalize(lines), side.Normalize(row[3])];
            return new Lines(lines, normalized);
        });

        var side = await SideAsync(kind);
        AssertLines(
            ["DEPLOYMENT | TYPE | ID | CREATED-AT | ", $"{side.Services.Url} | HTTP | {side.DeploymentId}", .. Sorted(ServiceNames.Select(n => $"- {n} [1]"))],
            subject.Expected,
            "deployments list: the header and the row of the deployment");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "deployments list (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Deployments_describe_shows_the_endpoint_and_every_service_with_its_handlers(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var lines = CliOutput.Flatten((await side.RunAsync("deployments", "describe", side.DeploymentId)).Stdout);
            var info = lines.TakeWhile(l => !l.StartsWith("Services:", StringComparison.Ordinal)).ToList();

            // One section per service, from its "- Name" line; sections and handler rows sorted (their order is a map's).
            var sections = new List<List<string>>();
            foreach (var line in lines.SkipWhile(l => !l.StartsWith("Services:", StringComparison.Ordinal)).Skip(1))
            {
                if (line.StartsWith("- ", StringComparison.Ordinal))
                {
                    sections.Add([line]);
                }
                else if (sections.Count > 0)
                {
                    sections[^1].Add(line);
                }
            }

            var services = sections
                .Select(s => string.Join(" ; ", s.Take(4).Concat(s.Skip(4).Order(StringComparer.Ordinal))))
                .Order(StringComparer.Ordinal).ToList();
            return new Lines([.. info, .. services], [.. side.Normalize(info), .. side.Normalize(services)]);
        });

        var side = await SideAsync(kind);
        foreach (var expected in new[]
        {
            $"ID: | {side.DeploymentId}", "Transport: | HTTP/1.1", "Protocol Style: | Request/Response", $"Endpoint: | {side.Services.Url}",
            "- A ; Type: VirtualObject virtual object ; Revision: 1 [Latest] ; HANDLER | INPUT | OUTPUT ; hop | application/json | application/json ; ping | application/json | application/json",
            "- Approval ; Type: Workflow workflow ; Revision: 1 [Latest] ; HANDLER | INPUT | OUTPUT ; approve | application/json | application/json ; run | application/json | application/json",
            "- Flaky ; Type: Service ; Revision: 1 [Latest] ; HANDLER | INPUT | OUTPUT ; run | application/json | application/json",
        })
        {
            AssertHasLine(expected, subject.Expected, "deployments describe");
        }

        Assert.Equal(ServiceNames.Length, subject.Expected.Count(l => l.StartsWith("- ", StringComparison.Ordinal)));
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "deployments describe (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Deployments_remove_with_force_unregisters_a_deployment_and_its_services(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            using var registered = await side.Admin.RegisterDeploymentAsync(Servers.Removable.Url, useHttp11: true);
            var id = registered.RootElement.GetProperty("id").GetString()!;
            var removed = await side.RunAsync("deployments", "remove", id, "--force", "--yes");
            var (_, deployments) = await side.Admin.GetJsonAsync("/deployments");
            var stillListed = deployments?.GetProperty("deployments").EnumerateArray().Any(d => d.GetProperty("id").GetString() == id) ?? true;
            var (serviceStatus, _) = await side.Admin.GetJsonAsync("/services/Removable");
            var listed = CliOutput.Flatten((await side.RunAsync("deployments", "list")).Stdout).Any(l => l.Contains(id, StringComparison.Ordinal));
            var output = CliOutput.Flatten(removed.Stdout).Concat(CliOutput.PlainLines(removed.Stderr)).ToList();
            return new Lines(
                [$"removed: {output.Any(l => l == $"[OK]: Deployment {id} removed successfully")}", $"in GET /deployments: {stillListed}", $"GET /services/Removable: {(int)serviceStatus}", $"in deployments list: {listed}"],
                [.. side.Normalize(output)]);
        });

        AssertLines(["removed: True", "in GET /deployments: False", $"GET /services/Removable: {(int)HttpStatusCode.NotFound}", "in deployments list: False"], subject.Expected, "deployments remove");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "deployments remove (normalized output)");
    }
}
