using System.Text.RegularExpressions;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>`restate state get | patch | clear` and `restate sql --json`.</summary>
public sealed partial class CliStateAndSqlTests(CliServers servers) : CliTestBase(servers)
{
    private sealed record Lines(List<string> Expected, List<string> Normalized);

    /// <summary>
    /// A state command's output with each table's rows sorted and the "[k1, k2]" key lists sorted: the CLI lists state
    /// keys in the order of a hash map or of the SQL rows (no ORDER BY), neither of which says anything of the server.
    /// </summary>
    private static List<string> StateOutput(CliSide side, CliResult result) =>
        [.. side.Normalize(CliOutput.Flatten(result.Stdout, sortRows: true).Concat(CliOutput.PlainLines(result.Stderr))
            .Select(l => KeyList().Replace(l, m => "[" + string.Join(", ", m.Groups[1].Value.Split(", ").Order(StringComparer.Ordinal)) + "]")))];

    [GeneratedRegex(@"\[([^\]]*)\]")]
    private static partial Regex KeyList();

    /// <summary>The KEY | VALUE rows of `state get`, sorted ("(no state table)" when it printed none).</summary>
    private static async Task<List<string>> StateAsync(CliSide side, string service, string key)
    {
        var output = (await side.RunAsync("state", "get", service, key)).Stdout;
        var table = CliOutput.Tables(output).FirstOrDefault(t => t.Header.SequenceEqual(["KEY", "VALUE"]));
        return table is null ? ["(no state table)"] : Sorted(table.Rows.Select(Line));
    }

    private static async Task PutAsync(CliSide side, string key, Dictionary<string, object> entries)
    {
        var put = await side.Ingress.CallAsync($"/Profile/{key}/put", entries);
        Assert.True(put.IsSuccess, $"Profile/{key}/put: {(int)put.Status} {put.Body}");
    }

    private static async Task<string> ReadAsync(CliSide side, string key, string name) =>
        (await side.Ingress.CallAsync($"/Profile/{key}/get", name)).Body;

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task State_get_shows_the_state_of_an_object_key(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var result = await side.RunAsync("state", "get", "Profile", "alice");
            var table = CliOutput.Tables(result.Stdout).FirstOrDefault(t => t.Header.SequenceEqual(["KEY", "VALUE"]));
            return new Lines(table is null ? ["(no state table)"] : Sorted(table.Rows.Select(Line)), StateOutput(side, result));
        });

        AssertLines(["name | \"alice\"", "visits | 3"], subject.Expected, "state get Profile alice");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "state get Profile alice (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task State_patch_changes_and_adds_entries(ServerKind kind)
    {
        var key = NewKey("patch");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            await PutAsync(side, key, new() { ["name"] = "bob", ["visits"] = 1 });
            var patch = """[{"op":"replace","path":"/visits","value":7},{"op":"add","path":"/city","value":"Oslo"}]""";
            var patched = await side.RunAsync("state", "patch", "Profile", key, "--patch", patch, "--yes");
            var state = await SettleAsync(() => StateAsync(side, "Profile", key), s => s.Count == 3);
            var visits = await ReadAsync(side, key, "visits");
            return new Lines([.. state, "visits read by the object: " + visits], StateOutput(side, patched));
        });

        AssertLines(["city | \"Oslo\"", "name | \"bob\"", "visits | 7", "visits read by the object: 7"], subject.Expected, "state patch, then state get and the object's own read");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "state patch (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task State_clear_removes_every_entry_of_a_key(ServerKind kind)
    {
        var key = NewKey("clear");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            await PutAsync(side, key, new() { ["name"] = "carol", ["visits"] = 2 });
            var before = await StateAsync(side, "Profile", key);
            var cleared = await side.RunAsync("state", "clear", $"Profile/{key}", "--yes");
            var after = await SettleAsync(() => StateAsync(side, "Profile", key), s => s.Count == 0);
            var name = await ReadAsync(side, key, "name");
            return new Lines(
                [.. before.Select(l => "before: " + l), $"after: {after.Count} entries", "name read by the object: " + name],
                StateOutput(side, cleared));
        });

        AssertLines(["before: name | \"carol\"", "before: visits | 2", "after: 0 entries", "name read by the object: null"], subject.Expected, "state clear, then state get and the object's own read");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "state clear (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Sql_json_returns_rows_of_the_introspection_tables(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var invocations = await SettleAsync(
                () => side.SqlAsync($"select target, status from sys_invocation where target_service_key = '{FixtureInvocations.DeadlockKey}' order by target, status"),
                rows => rows.Count == 3);
            var count = await side.SqlAsync("select count(*) as n from sys_invocation where target_service_name = 'Sleeper'");
            var state = await side.SqlAsync("select key, value_utf8 from state where service_name = 'Profile' and service_key = 'alice' order by key");
            List<string> lines = [.. invocations.Select(r => r.GetRawText()), .. count.Select(r => r.GetRawText()), .. state.Select(r => r.GetRawText())];
            return new Lines(lines, lines);
        });

        AssertLines(
            [
                """{"target":"A/fixture-dl/hop","status":"pending"}""",
                """{"target":"A/fixture-dl/hop","status":"suspended"}""",
                """{"target":"B/fixture-dl/hop","status":"suspended"}""",
                """{"n":3}""",
                """{"key":"name","value_utf8":"\"alice\""}""",
                """{"key":"visits","value_utf8":"3"}""",
            ],
            subject.Expected,
            "restate sql --json");
        AssertSameAsRestate(reference?.Normalized, subject.Normalized, "restate sql --json");
    }
}
