using System.Text.RegularExpressions;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

/// <summary>
/// The official CLI's <c>restate invocations describe</c> on Keel shows each journal entry's details (it reads them
/// from <c>sys_journal.entry_json</c>), for journals of every entry kind written by tests/oracles/services/entries.mjs.
/// </summary>
public sealed class JournalDetailsCliTests : IAsyncLifetime
{
    private KeelServerProcess _server = null!;
    private NodeServicesProcess _services = null!;
    private IngressClient _ingress = null!;
    private RestateCli _cli = null!;

    public async Task InitializeAsync()
    {
        _server = await KeelServerProcess.StartAsync();
        _services = await NodeServicesProcess.StartAsync("entries.mjs", new Dictionary<string, string>());
        using var admin = new AdminClient(_server.AdminUrl);
        await admin.RegisterDeploymentAsync(_services.Url, useHttp11: true);
        _ingress = new IngressClient(_server.IngressUrl);
        _cli = new RestateCli(_server.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _cli?.Dispose();
        _ingress?.Dispose();
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Invocations_describe_shows_the_details_of_every_kind_of_entry()
    {
        var commands = await _ingress.CallAsync("/Entries/k1/commands", new { oldAwakeable = false });
        var lazy = await _ingress.CallAsync("/LazyEntries/k1/commands");
        var targets = await _ingress.CallAsync("/Entries/t1/targets");
        Assert.All(new[] { commands, lazy, targets }, r => Assert.True(r.IsSuccess, r.Body));

        var journal = await JournalAsync(commands.InvocationId!);
        AssertHas(journal,
            "#1 Command: GetEagerState key missing",
            "#2 Command: SetState key a",
            "#5 Command: ClearState key a",
            "#7 Command: Sleep [nap] until ",
            "#9 Command: Run [step]",
            "#13 Command: Call [the-call] Entries/callee/echo inv_",
            "#16 Command: Call Plain/fail inv_",
            "#19 Command: OneWayCall Plain/echo inv_",
            "#23 Command: AttachInvocation inv_",
            "#25 Command: GetInvocationOutput inv_",
            "#29 Command: SendSignal signal Cancel to inv_",
            "#30 Command: CompleteAwakeable id sign_1",
            "#34 Command: SendSignal signal go to inv_");

        AssertHas(await JournalAsync(lazy.InvocationId!),
            "#2 Command: GetLazyState key missing",
            "#4 Command: GetEagerState key b");
        AssertHas(await JournalAsync(targets.InvocationId!),
            "#1 Command: Call Entries/callee/peek inv_",
            "#4 Command: OneWayCall EntriesFlow/t1/run inv_",
            "#6 Command: Call EntriesFlow/t1/resolve inv_");

        // The workflow run Entries/t1/targets started, suspended on a promise no one completes.
        var workflow = await _cli.RunAsync("sql", "--json", "SELECT id FROM sys_invocation WHERE target = 'EntriesFlow/t1/run'");
        Assert.True(workflow.Succeeded, workflow.ToString());
        var runId = Regex.Match(workflow.Stdout, "inv_[0-9A-Za-z]+").Value;
        AssertHas(await JournalAsync(runId), "#1 Command: PeekPromise key p", "#3 Command: GetPromise key p");
    }

    /// <summary>The journal lines of <c>invocations describe</c>, without the tree drawing and append times.</summary>
    private async Task<IReadOnlyList<string>> JournalAsync(string invocationId)
    {
        var result = await _cli.RunAsync("invocations", "describe", invocationId);
        Assert.True(result.Succeeded, result.ToString());
        return [.. CliOutput.Flatten(result.Stdout)
            .SkipWhile(l => !l.StartsWith("Invocation Progress", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @"^[^#]*(#\d+) (\[[^\]]*\] )?", "$1 "))
            .Where(l => l.StartsWith('#'))];
    }

    private static void AssertHas(IReadOnlyList<string> journal, params string[] prefixes)
    {
        foreach (var prefix in prefixes)
        {
            Assert.True(journal.Any(l => l.StartsWith(prefix, StringComparison.Ordinal)),
                $"no journal line starts with '{prefix}':\n{string.Join('\n', journal)}");
        }
    }
}
