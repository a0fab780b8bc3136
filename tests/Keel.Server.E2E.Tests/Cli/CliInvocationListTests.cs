using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>`restate invocations list` with its filters, and `restate invocations describe`, on the fixture's invocations.</summary>
public sealed class CliInvocationListTests(CliServers servers) : CliTestBase(servers)
{
    private const string DeadlockKey = FixtureInvocations.DeadlockKey;
    private const string CycleKey = FixtureInvocations.CycleKey;

    /// <summary>The fixture's unfinished invocations, as <see cref="CliTestBase.Summary"/> lines, sorted.</summary>
    private static readonly List<string> Unfinished = Sorted(
    [
        $"A/{DeadlockKey}/hop suspended",
        $"B/{DeadlockKey}/hop suspended <- A/{DeadlockKey}/hop",
        $"A/{DeadlockKey}/hop pending <- B/{DeadlockKey}/hop",
        $"A/{CycleKey}/hop suspended",
        $"B/{CycleKey}/hop suspended <- A/{CycleKey}/hop",
        $"C/{CycleKey}/hop suspended <- B/{CycleKey}/hop",
        $"A/{CycleKey}/hop pending <- C/{CycleKey}/hop",
        "Sleeper/busy/sleep suspended",
        "Sleeper/busy/ping pending",
        "Sleeper/later/ping scheduled",
        "Approval/wf1/run suspended",
        "Flaky/run paused",
        "Backoff/run backing-off",
    ]);

    private static readonly List<string> Completed = Sorted(["Profile/alice/put completed with success", "Echo/fixture/echo completed with success"]);

    private sealed record Listing(List<string> Summaries, List<string> Shapes, string Footer);

    /// <summary>
    /// Lists with the options until <paramref name="settled"/> holds for the fixture's entries (or patience runs out),
    /// keeping only the fixture's entries unless <paramref name="onlyFixture"/> is false.
    /// </summary>
    private static async Task<Listing> ListFixtureAsync(CliSide side, string[] options, Func<List<string>, bool> settled, bool onlyFixture = true)
    {
        var result = await SettleAsync(
            async () =>
            {
                var run = await side.RunAsync(["invocations", "list", .. options]);
                var entries = CliOutput.Invocations(run.Stdout).Where(i => !onlyFixture || side.Fixture.Contains(i)).ToList();
                return (Run: run, Entries: entries);
            },
            r => settled(Sorted(r.Entries.Select(Summary))));
        var footer = CliOutput.PlainLines(result.Run.Stderr).Concat(CliOutput.PlainLines(result.Run.Stdout))
            .LastOrDefault(l => l.StartsWith("Showing", StringComparison.Ordinal)) ?? "(no 'Showing' line)";
        return new Listing(Sorted(result.Entries.Select(Summary)), Sorted(result.Entries.Select(e => Shape(side, e))), side.Normalize(footer));
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Invocations_list_shows_every_unfinished_invocation_with_its_status(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side => ListFixtureAsync(side, [], s => s.SequenceEqual(Unfinished)));
        AssertLines(Unfinished, subject.Summaries, "invocations list: the fixture's invocations");
        AssertSameAsRestate(reference?.Shapes, subject.Shapes, "invocations list: the fixture's entries with all their fields (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Invocations_list_all_adds_the_completed_ones(ServerKind kind)
    {
        var expected = Sorted([.. Unfinished, .. Completed]);
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side => ListFixtureAsync(side, ["--all"], s => s.SequenceEqual(expected)));
        AssertLines(expected, subject.Summaries, "invocations list --all: the fixture's invocations");
        AssertSameAsRestate(reference?.Shapes, subject.Shapes, "invocations list --all: the fixture's entries (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Invocations_list_filters_by_status(ServerKind kind)
    {
        var expected = Unfinished.Where(s => s.Contains(" suspended", StringComparison.Ordinal) || s.Contains(" paused", StringComparison.Ordinal)).ToList();
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var fixture = await ListFixtureAsync(side, ["--status", "paused,suspended"], s => s.SequenceEqual(expected));
            var all = await ListFixtureAsync(side, ["--status", "paused,suspended"], _ => true, onlyFixture: false);
            return fixture with { Footer = string.Join(", ", all.Summaries.Select(s => s.Split(' ')[1]).Distinct().Order(StringComparer.Ordinal)) };
        });

        AssertLines(expected, subject.Summaries, "invocations list --status paused,suspended: the fixture's invocations");
        Assert.Equal("paused, suspended", subject.Footer);
        AssertSameAsRestate(reference?.Shapes, subject.Shapes, "invocations list --status paused,suspended: the fixture's entries (normalized)");
    }

    /// <summary>
    /// Sleeper holds only the fixture's invocations; A also the deadlock tests' ones, which those tests leave all
    /// completed (so out of this listing).
    /// </summary>
    [Theory]
    [InlineData(ServerKind.Restate, "A")]
    [InlineData(ServerKind.Keel, "A")]
    [InlineData(ServerKind.Restate, "Sleeper")]
    [InlineData(ServerKind.Keel, "Sleeper")]
    public async Task Invocations_list_filters_by_service(ServerKind kind, string service)
    {
        var expected = Unfinished.Where(s => s.StartsWith(service + "/", StringComparison.Ordinal)).ToList();
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side =>
            ListFixtureAsync(side, ["--service", service], s => s.SequenceEqual(expected), onlyFixture: false));
        AssertLines(expected, subject.Summaries, $"invocations list --service {service}");
        Assert.StartsWith($"Showing {expected.Count}/{expected.Count} invocations.", subject.Footer, StringComparison.Ordinal);
        AssertSameAsRestate(reference?.Shapes, subject.Shapes, $"invocations list --service {service} (normalized)");
        AssertSameAsRestate(reference is null ? null : [reference.Footer], [subject.Footer], $"invocations list --service {service}: the footer");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Invocations_list_filters_by_key(ServerKind kind)
    {
        var expected = Unfinished.Where(s => s.Split(' ')[0].Split('/')[1] == DeadlockKey).ToList();
        var (subject, reference) = await OnServerAndReferenceAsync(kind, side =>
            ListFixtureAsync(side, ["--key", DeadlockKey], s => s.SequenceEqual(expected), onlyFixture: false));
        AssertLines(expected, subject.Summaries, $"invocations list --key {DeadlockKey}");
        Assert.StartsWith("Showing 3/3 invocations.", subject.Footer, StringComparison.Ordinal);
        AssertSameAsRestate(reference?.Shapes, subject.Shapes, $"invocations list --key {DeadlockKey} (normalized)");
    }

    [Theory]
    [InlineData(ServerKind.Restate)]
    [InlineData(ServerKind.Keel)]
    public async Task Invocations_describe_shows_the_invocation_and_its_journal(ServerKind kind)
    {
        var (subject, reference) = await OnServerAndReferenceAsync(kind, async side =>
        {
            var lines = await SettleAsync(
                async () => CliOutput.Flatten((await side.RunAsync("invocations", "describe", side.Fixture.DeadlockRoot)).Stdout),
                l => l.Any(x => x.EndsWith(">> suspended", StringComparison.Ordinal)));
            var info = lines.SkipWhile(l => !l.StartsWith("Invocation Information", StringComparison.Ordinal))
                .TakeWhile(l => !l.StartsWith("Invocation Progress", StringComparison.Ordinal)).ToList();
            var progress = lines.SkipWhile(l => !l.StartsWith("Invocation Progress", StringComparison.Ordinal)).ToList();
            // As in Shape: Restate's generated idempotency key (a ULID) is not compared; Keel does not invent one.
            var normalizedInfo = side.Normalize(info).Where(l => !(l.StartsWith("Idempotency key:", StringComparison.Ordinal) && l.EndsWith("<ulid>", StringComparison.Ordinal)));
            return new Listing([.. info, .. progress], [.. normalizedInfo, .. side.Normalize(progress)], string.Empty);
        });

        // For Keel, the whole comparison first: its message shows both outputs, the invocation and its journal.
        var normalized = subject.Shapes;
        AssertSameAsRestate(reference?.Shapes, normalized, "invocations describe (normalized)");
        foreach (var expected in new[]
        {
            $"Target: | A/{DeadlockKey}/hop",
            "Status: | suspended (<duration> ago)",
            "Deployment: | <dp> [required]",
        })
        {
            AssertHasLine(expected, normalized, "invocations describe: the invocation");
        }

        AssertLines(
            [
                "[Ingress]",
                $"└──(this)─> A/{DeadlockKey}/hop",
                "▸",
                "├──── #0 [<time>] Command: Input",
                $"├──── #1 [<time>] Command: Call B/{DeadlockKey}/hop <inv>",
                "├──── #2 [<time>] Notification: CallInvocationId",
                "└────>> suspended",
            ],
            normalized.SkipWhile(l => !l.StartsWith("Invocation Progress", StringComparison.Ordinal)).Skip(2),
            "invocations describe: the journal");
    }
}
