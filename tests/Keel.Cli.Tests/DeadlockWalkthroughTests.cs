using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Cli.Tests;

/// <summary>
/// The README's walkthrough: A/k calls B/k, whose call to A/k waits behind A/k's own lock. `keel invocations list
/// --stuck` finds all three with what each waits on, `describe` shows the cycle, and cancelling (or killing) the root
/// unblocks both keys.
/// </summary>
public sealed class DeadlockWalkthroughTests(CliServers servers) : CliTestBase(servers)
{
    [Theory]
    [InlineData(ServerKind.Keel, "cancel")]
    [InlineData(ServerKind.Keel, "kill")]
    [InlineData(ServerKind.Restate, "cancel")]
    public async Task A_deadlock_is_found_shown_as_a_cycle_and_unblocked(ServerKind kind, string action)
    {
        var side = await SideAsync(kind);
        var key = NewKey("dl");
        var root = await side.SendAsync($"/A/{key}/hop", new[] { "B", "A" });

        var stuck = await UntilAsync(side, a => Items(a).Count == 3, "the three deadlocked invocations listed as stuck",
            "invocations", "list", "--stuck", "--stuck-for", "0s", "--key", key);
        var waits = Items(stuck).ToDictionary(i => Str(i, "id"), i => Items(i.GetProperty("waiting_on")).Single());
        var callee = waits[root];
        Assert.Equal(("call", $"B/{key}/hop"), (Str(callee, "reason"), Str(callee, "target")));
        var innerCall = waits[Str(callee, "id")];
        Assert.Equal(("call", $"A/{key}/hop", "pending"), (Str(innerCall, "reason"), Str(innerCall, "target"), Str(innerCall, "status")));
        var lockWait = waits[Str(innerCall, "id")];
        Assert.Equal(("lock", root), (Str(lockWait, "reason"), Str(lockWait, "id")));

        // Stuck means "for longer than --stuck-for": nothing of this has waited an hour yet.
        Assert.Empty(Items(await side.Cli.JsonAsync("invocations", "list", "--stuck", "--stuck-for", "1h", "--key", key)));

        if (kind == ServerKind.Keel)
        {
            // Keel found the cycle itself as it formed: GET /deadlocks lists the three, and so does --deadlocked.
            await Eventually.UntilAsync(async () => (await DeadlockedIdsAsync(side)).IsSupersetOf(waits.Keys), TimeSpan.FromSeconds(10),
                "the cycle on GET /deadlocks");
            var cycle = Assert.Single(Items(await side.Cli.JsonAsync("invocations", "list", "--deadlocked", "--key", key)));
            Assert.Equal(waits.Keys.Order(), Items(cycle.GetProperty("invocations")).Select(i => Str(i, "id")).Order());
            var table = await side.Cli.RunAsync("invocations", "list", "--deadlocked", "--key", key);
            Assert.Contains($"lock held by {root}", table.Stdout, StringComparison.Ordinal);
        }
        else
        {
            var refused = await side.Cli.RunAsync("invocations", "list", "--deadlocked");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("does not report deadlocks", Assert.Single(refused.ErrorLines), StringComparison.Ordinal);
        }

        var described = await side.Cli.JsonAsync("invocations", "describe", root);
        Assert.True(described.GetProperty("cycle").GetBoolean(), described.GetRawText());
        var text = await side.Cli.RunAsync("invocations", "describe", root);
        Assert.Contains("⟲ cycle", text.Stdout, StringComparison.Ordinal);

        var acted = await side.Cli.JsonAsync("invocations", action, root, "--yes");
        var outcome = Assert.Single(Items(acted));
        Assert.True(outcome.GetProperty("ok").GetBoolean(), outcome.GetRawText());

        var ids = Items(stuck).Select(i => Str(i, "id")).ToList();
        await UntilAsync(side, a => Items(a).Count == 3 && Items(a).All(i => Str(i, "status") == "completed"), "all three completed",
            "invocations", "list", "--all", "--key", key);

        // Both keys serve again: a new call to each completes.
        foreach (var obj in new[] { "A", "B" })
        {
            var answer = await side.Cli.RunAsync("invoke", $"{obj}/{key}/ping");
            Assert.True(answer.ExitCode == 0, answer.ToString());
            Assert.Equal($"\"{obj} pong\"", answer.Stdout.Trim());
        }

        Assert.Empty(Items(await side.Cli.JsonAsync("invocations", "list", "--stuck", "--stuck-for", "0s", "--key", key)));
        Assert.Equal(3, ids.Distinct().Count());
        if (kind == ServerKind.Keel)
        {
            // The graph learns of a completion just after its commit (which SQL already shows): wait, briefly.
            await Eventually.UntilAsync(async () => !(await DeadlockedIdsAsync(side)).Overlaps(ids), TimeSpan.FromSeconds(10),
                "the broken cycle left GET /deadlocks");
        }
    }

    /// <summary>The ids of every invocation on a cycle Keel's <c>GET /deadlocks</c> lists now.</summary>
    private static async Task<HashSet<string>> DeadlockedIdsAsync(CliSide side)
    {
        var (status, body) = await side.Admin.GetJsonAsync("/deadlocks");
        Assert.Equal(System.Net.HttpStatusCode.OK, status);
        return [.. body!.Value.GetProperty("deadlocks").EnumerateArray()
            .SelectMany(c => c.GetProperty("invocations").EnumerateArray().Select(i => i.GetProperty("id").GetString()!))];
    }

    [Fact]
    public async Task Bulk_cancel_by_target_reports_each_invocation()
    {
        var side = await SideAsync(ServerKind.Keel);
        var key = NewKey("bulk");
        var sleeping = await side.SendAsync($"/Napper/{key}/sleep", 3_600_000);
        var queued = await side.SendAsync($"/Napper/{key}/ping");
        await UntilAsync(side, a => Items(a).Count == 2, "two Napper invocations", "invocations", "list", "--service", "Napper", "--key", key);

        var noYes = await side.Cli.RunAsync("invocations", "cancel", "--target", $"Napper/{key}");
        Assert.Equal(2, noYes.ExitCode);
        Assert.Contains("--yes", Assert.Single(noYes.ErrorLines), StringComparison.Ordinal);

        var results = Items(await side.Cli.JsonAsync("invocations", "cancel", "--target", $"Napper/{key}", "--yes"));
        Assert.Equal(new[] { sleeping, queued }.Order(), results.Select(r => Str(r, "id")).Order());
        Assert.All(results, r => Assert.True(r.GetProperty("ok").GetBoolean(), r.GetRawText()));
        await UntilAsync(side, a => Items(a).Count == 0, "nothing left unfinished", "invocations", "list", "--service", "Napper", "--key", key);

        // Purge by target takes the completed ones; a second purge of the same id is a 404 with the server's message.
        var purged = Items(await side.Cli.JsonAsync("invocations", "purge", "--target", $"Napper/{key}", "--yes"));
        Assert.Equal(2, purged.Count);
        var again = await side.Cli.RunAsync("invocations", "purge", sleeping, "--yes");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("404", Assert.Single(again.ErrorLines), StringComparison.Ordinal);
    }
}
