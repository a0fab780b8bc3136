using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>
/// `restate invocations cancel | kill | purge | pause | resume | restart-as-new`, each on invocations the test starts
/// itself. The CLI reports success whatever the server answers, so every effect is checked with `restate sql`.
/// </summary>
public sealed class CliInvocationControlTests(CliServers servers) : CliTestBase(servers)
{
    private const int Hour = 3_600_000;

    /// <summary>What a test saw: facts compared with the expectation, and the CLI's normalized output.</summary>
    private sealed record Outcome(List<string> Facts, List<string> Output);

    private static async Task<string> SendAsync(CliSide side, string path, object? body = null)
    {
        var sent = await side.Ingress.SendAsync(path, body);
        return sent.IsSuccess && sent.InvocationId is { } id ? id : throw new InvalidOperationException($"send {path}: {(int)sent.Status} {sent.Body}");
    }

    private static async Task<string> CallAsync(CliSide side, string path, object? body)
    {
        var called = await side.Ingress.CallAsync(path, body);
        return called.IsSuccess && called.InvocationId is { } id ? id : throw new InvalidOperationException($"call {path}: {(int)called.Status} {called.Body}");
    }

    /// <summary>status, completion result and failure of one invocation from `restate sql` ("(gone)" when absent).</summary>
    private static async Task<string> CompletionAsync(CliSide side, string id)
    {
        var rows = await side.SqlAsync($"select status, completion_result, completion_failure from sys_invocation where id = '{id}'");
        return rows.Count == 0 ? "(gone)" : string.Join(' ', new[] { "status", "completion_result", "completion_failure" }.Select(c => Text(rows[0], c)).Where(t => t.Length > 0));
    }

    private static async Task<string> SettleStatusAsync(CliSide side, string id, string status) =>
        await SettleAsync(() => StatusAsync(side, id), s => s == status);

    private static List<string> Output(CliSide side, CliResult result) =>
        [.. side.Normalize(CliOutput.Flatten(result.Stdout).Concat(CliOutput.PlainLines(result.Stderr)))];

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Cancel_ends_a_suspended_invocation_with_a_cancellation_failure(ServerKind kind)
    {
        var key = NewKey("cancel");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await SendAsync(side, $"/Napper/{key}/sleep", Hour);
            var before = await SettleStatusAsync(side, id, "suspended");
            var cancelled = await side.RunAsync("invocations", "cancel", id, "--yes");
            var after = await SettleAsync(() => CompletionAsync(side, id), c => c.StartsWith("completed", StringComparison.Ordinal));
            return new Outcome([$"before: {before}", $"after: {after}"], Output(side, cancelled));
        });

        AssertLines(["before: suspended", "after: completed failure [409] Cancelled"], subject.Facts, "invocations cancel");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations cancel (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Kill_ends_a_suspended_invocation_at_once(ServerKind kind)
    {
        var key = NewKey("kill");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await SendAsync(side, $"/Napper/{key}/sleep", Hour);
            var before = await SettleStatusAsync(side, id, "suspended");
            var killed = await side.RunAsync("invocations", "kill", id, "--yes");
            var after = await SettleAsync(() => CompletionAsync(side, id), c => c.StartsWith("completed", StringComparison.Ordinal));
            return new Outcome([$"before: {before}", $"after: {after}"], Output(side, killed));
        });

        AssertLines(["before: suspended", "after: completed failure [409] killed"], subject.Facts, "invocations kill");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations kill (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Purge_removes_a_completed_invocation(ServerKind kind)
    {
        var key = NewKey("purge");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await CallAsync(side, $"/Echo/{key}/echo", "purge me");
            var before = await SettleAsync(() => CompletionAsync(side, id), c => c.StartsWith("completed", StringComparison.Ordinal));
            var purged = await side.RunAsync("invocations", "purge", id, "--yes");
            var after = await SettleAsync(() => CompletionAsync(side, id), c => c == "(gone)");
            return new Outcome([$"before: {before}", $"after: {after}"], Output(side, purged));
        });

        AssertLines(["before: completed success", "after: (gone)"], subject.Facts, "invocations purge");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations purge (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Pause_stops_the_retries_of_a_backing_off_invocation(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await SendAsync(side, "/Backoff/run");
            var before = await SettleStatusAsync(side, id, "backing-off");
            var paused = await side.RunAsync("invocations", "pause", id, "--yes");
            var after = await SettleStatusAsync(side, id, "paused");
            return new Outcome([$"before: {before}", $"after: {after}"], Output(side, paused));
        });

        AssertLines(["before: backing-off", "after: paused"], subject.Facts, "invocations pause");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations pause (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Resume_retries_a_paused_invocation_which_then_completes(ServerKind kind)
    {
        var name = NewKey("resume");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await SendAsync(side, "/Flaky/run", name);
            var before = await SettleStatusAsync(side, id, "paused");
            await CallAsync(side, "/Fixer/fix", name);
            var resumed = await side.RunAsync("invocations", "resume", id, "--yes");
            var after = await SettleAsync(() => CompletionAsync(side, id), c => c.StartsWith("completed", StringComparison.Ordinal));
            return new Outcome([$"before: {before}", $"after: {after}"], Output(side, resumed));
        });

        AssertLines(["before: paused", "after: completed success"], subject.Facts, "invocations resume");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations resume (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Restart_as_new_runs_a_completed_invocation_again_under_a_new_id(ServerKind kind)
    {
        var key = NewKey("restart");
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var id = await CallAsync(side, $"/Echo/{key}/echo", "again");
            var before = await SettleAsync(() => CompletionAsync(side, id), c => c.StartsWith("completed", StringComparison.Ordinal));
            var restarted = await side.RunAsync("invocations", "restart-as-new", id, "--yes");
            var table = CliOutput.Tables(restarted.Stdout).FirstOrDefault(t => t.Header.SequenceEqual(["OLD ID", "NEW ID"]));
            var newId = table?.Rows.FirstOrDefault(r => r[0] == id)?[1];
            var after = newId is null
                ? "(no new id printed)"
                : await SettleAsync(() => CompletionAsync(side, newId), c => c.StartsWith("completed", StringComparison.Ordinal));
            var runs = await side.SqlAsync($"select count(*) as n from sys_invocation where target = 'Echo/{key}/echo'");
            return new Outcome(
                [$"before: {before}", $"new id differs: {newId is not null && newId != id}", $"new: {after}", $"invocations of the target: {(runs.Count > 0 ? Text(runs[0], "n") : "?")}"],
                Output(side, restarted));
        });

        AssertLines(["before: completed success", "new id differs: True", "new: completed success", "invocations of the target: 2"], subject.Facts, "invocations restart-as-new");
        AssertSameAsRestate(reference?.Output, subject.Output, "invocations restart-as-new (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate, "cancel")]
    [InlineData(ServerKind.Keel, "cancel")]
    [InlineData(ServerKind.Restate, "kill")]
    [InlineData(ServerKind.Keel, "kill")]
    public async Task Deadlock_of_two_objects_on_one_key_is_listed_and_ending_its_root_frees_both(ServerKind kind, string command)
    {
        var key = NewKey("deadlock-" + command);
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side => BreakCycleAsync(side, key, ["B", "A"], command));
        AssertLines(
            [
                $"listed: A/{key}/hop pending <- B/{key}/hop",
                $"listed: A/{key}/hop suspended",
                $"listed: B/{key}/hop suspended <- A/{key}/hop",
                "unfinished after: 0",
                $"root: completed failure {Failure(command)}",
                $"B/{key}/hop: {Callee(command)}",
                "A/ping: A pong",
                "B/ping: B pong",
            ],
            subject.Facts,
            $"A/k ↔ B/k deadlock, then invocations {command} of the root");
        AssertSameAsRestate(reference?.Output, subject.Output, $"invocations {command} of the deadlock's root (normalized output)");
    }

    [Theory]
    [InlineData(ServerKind.Restate, "cancel")]
    [InlineData(ServerKind.Keel, "cancel")]
    [InlineData(ServerKind.Restate, "kill")]
    [InlineData(ServerKind.Keel, "kill")]
    public async Task Cycle_of_three_objects_on_one_key_is_listed_and_ending_its_root_frees_all(ServerKind kind, string command)
    {
        var key = NewKey("cycle-" + command);
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side => BreakCycleAsync(side, key, ["B", "C", "A"], command));
        AssertLines(
            [
                $"listed: A/{key}/hop pending <- C/{key}/hop",
                $"listed: A/{key}/hop suspended",
                $"listed: B/{key}/hop suspended <- A/{key}/hop",
                $"listed: C/{key}/hop suspended <- B/{key}/hop",
                "unfinished after: 0",
                $"root: completed failure {Failure(command)}",
                $"B/{key}/hop: {Callee(command)}",
                $"C/{key}/hop: {Callee(command)}",
                "A/ping: A pong",
                "B/ping: B pong",
                "C/ping: C pong",
            ],
            subject.Facts,
            $"A→B→C→A cycle, then invocations {command} of the root");
        AssertSameAsRestate(reference?.Output, subject.Output, $"invocations {command} of the cycle's root (normalized output)");
    }

    private static string Failure(string command) => command == "kill" ? "[409] killed" : "[409] Cancelled";

    /// <summary>
    /// How an object called by the root ends. A kill ends the whole call tree at once. A cancel reaches the callees as
    /// messages while the call queued behind the root may already run once the root is gone, and complete the chain:
    /// only "completed" is certain.
    /// </summary>
    private static string Callee(string command) => command == "kill" ? $"completed failure {Failure(command)}" : "completed";

    /// <summary>
    /// A/key.hop(route): lists the blocked invocations, ends the root with `restate invocations COMMAND ROOT --yes`,
    /// then checks that nothing on the key is left unfinished, how the root and the objects it called ended (see
    /// <see cref="Callee"/>; the last call, queued behind the root, is not checked), and that each object answers a
    /// new call.
    /// </summary>
    private static async Task<Outcome> BreakCycleAsync(CliSide side, string key, string[] route, string command)
    {
        var root = await SendAsync(side, $"/A/{key}/hop", route);
        var blocked = route.Length + 1;
        var listed = await SettleAsync(
            async () => Sorted((await ListAsync(side, "--key", key)).Select(Summary)),
            l => l.Count == blocked && l.Count(s => s.Contains(" suspended", StringComparison.Ordinal)) == route.Length);
        var ended = await side.RunAsync("invocations", command, root, "--yes");
        var unfinished = await SettleAsync(
            async () => Text((await side.SqlAsync($"select count(*) as n from sys_invocation where target_service_key = '{key}' and status != 'completed'"))[0], "n"),
            n => n == "0");
        var facts = new List<string>(listed.Select(l => "listed: " + l)) { $"unfinished after: {unfinished}", $"root: {await CompletionAsync(side, root)}" };
        foreach (var callee in route.SkipLast(1))
        {
            var rows = await side.SqlAsync($"select id from sys_invocation where target = '{callee}/{key}/hop'");
            var completion = rows.Count == 1 ? await CompletionAsync(side, Text(rows[0], "id")) : $"{rows.Count} invocations";
            facts.Add($"{callee}/{key}/hop: " + (command == "kill" ? completion : completion.Split(' ')[0]));
        }

        foreach (var obj in route.Prepend("A").Distinct().Order(StringComparer.Ordinal))
        {
            try
            {
                var pong = await side.Ingress.CallAsync($"/{obj}/{key}/ping").WaitAsync(Patience);
                facts.Add($"{obj}/ping: " + (pong.IsSuccess ? pong.Json.GetString() : $"{(int)pong.Status} {pong.Body}"));
            }
            catch (TimeoutException)
            {
                facts.Add($"{obj}/ping: no answer within {Patience.TotalSeconds}s");
            }
        }

        return new Outcome(facts, Output(side, ended));
    }
}
