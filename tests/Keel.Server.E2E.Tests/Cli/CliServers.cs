using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>The invocations the fixture starts on each server and leaves as they are, one per status.</summary>
public sealed record FixtureInvocations(
    string DeadlockRoot,
    string CycleRoot,
    string SleeperBusy,
    string SleeperQueued,
    string SleeperScheduled,
    string ApprovalRun,
    string FlakyPaused,
    string BackoffRetrying,
    string ProfilePut,
    string EchoCompleted)
{
    /// <summary>A/k.hop(["B","A"]): A/k waits on B/k, whose call to A/k waits behind A/k.</summary>
    public const string DeadlockKey = "fixture-dl";

    /// <summary>A/k.hop(["B","C","A"]): the cycle A→B→C→A on one key.</summary>
    public const string CycleKey = "fixture-cy";

    public IReadOnlyList<string> Ids =>
        [DeadlockRoot, CycleRoot, SleeperBusy, SleeperQueued, SleeperScheduled, ApprovalRun, FlakyPaused, BackoffRetrying, ProfilePut, EchoCompleted];

    /// <summary>Whether a listed invocation belongs to the fixture (the deadlock's and cycle's inner calls included).</summary>
    public bool Contains(CliInvocation invocation)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var key = invocation.Target.Split('/') is { Length: 3 } parts ? parts[1] : null;
        return Ids.Contains(invocation.Id) || key is DeadlockKey or CycleKey;
    }
}

/// <summary>
/// One server (Keel's or restate-server) with the TypeScript services of cli.mjs registered, the fixture's invocations
/// started, and a `restate` CLI pointed at its admin API.
/// </summary>
public sealed class CliSide : IAsyncDisposable
{
    private readonly ServicesOnServer _on;

    private CliSide(ServicesOnServer on)
    {
        _on = on;
        Cli = new RestateCli(on.Server.AdminUrl);
    }

    public ServerKind Kind => _on.Kind;

    public IServerProcess Server => _on.Server;

    public NodeServicesProcess Services => _on.Services;

    public IngressClient Ingress => _on.Ingress;

    public AdminClient Admin => _on.Admin;

    public RestateCli Cli { get; }

    public string DeploymentId => _on.DeploymentId;

    public FixtureInvocations Fixture { get; private set; } = null!;

    /// <summary>The URLs the normalizer replaces by their role.</summary>
    public IReadOnlyDictionary<Uri, string> Urls { get; private set; } = new Dictionary<Uri, string>();

    public static async Task<CliSide> StartAsync(ServerKind kind, NodeServicesProcess removable)
    {
        ArgumentNullException.ThrowIfNull(removable);
        var on = await ServicesOnServer.StartAsync(kind);
        var side = new CliSide(on);
        try
        {
            side.Urls = new Dictionary<Uri, string>
            {
                [on.Server.AdminUrl] = "<admin-url>",
                [on.Server.IngressUrl] = "<ingress-url>",
                [on.Services.Url] = "<services-url>",
                [removable.Url] = "<removable-url>",
            };
            side.Fixture = await side.StartFixtureInvocationsAsync();
            return side;
        }
        catch
        {
            await side.DisposeAsync();
            throw;
        }
    }

    private async Task<FixtureInvocations> StartFixtureInvocationsAsync()
    {
        Task<string> Send(string path, object? body = null, string? delay = null) => _on.SendAsync(path, body, delay);
        Task<string> Call(string path, object body) => _on.CallAsync(path, body);

        const int hour = 3_600_000;
        var deadlock = await Send($"/A/{FixtureInvocations.DeadlockKey}/hop", new[] { "B", "A" });
        var cycle = await Send($"/A/{FixtureInvocations.CycleKey}/hop", new[] { "B", "C", "A" });
        var busy = await Send("/Sleeper/busy/sleep", hour);
        var queued = await Send("/Sleeper/busy/ping");
        var scheduled = await Send("/Sleeper/later/ping", delay: "1h");
        var approval = await Send("/Approval/wf1/run", "please");
        var flaky = await Send("/Flaky/run", "fixture");
        var backoff = await Send("/Backoff/run");
        var profile = await Call("/Profile/alice/put", new Dictionary<string, object> { ["name"] = "alice", ["visits"] = 3 });
        var echo = await Call("/Echo/fixture/echo", "hi");
        return new FixtureInvocations(deadlock, cycle, busy, queued, scheduled, approval, flaky, backoff, profile, echo);
    }

    /// <summary>Runs the CLI and requires exit code 0 (a failure stops the test with the CLI's output).</summary>
    public async Task<CliResult> RunAsync(params string[] arguments) => (await Cli.RunAsync(arguments)).EnsureSuccess();

    /// <summary>`restate sql --json QUERY`, parsed.</summary>
    public async Task<IReadOnlyList<JsonElement>> SqlAsync(string query)
    {
        var result = await RunAsync("sql", "--json", query);
        try
        {
            return JsonDocument.Parse(result.Stdout).RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
        }
        catch (JsonException e)
        {
            throw new RestateCliException(result with { Stderr = result.Stderr + "\n(not a JSON array: " + e.Message + ")" });
        }
    }

    public string Normalize(string text) => CliOutput.Normalize(text, Urls);

    public IReadOnlyList<string> Normalize(IEnumerable<string> texts) => CliOutput.Normalize(texts, Urls);

    public async ValueTask DisposeAsync()
    {
        Cli.Dispose();
        await _on.DisposeAsync();
    }
}

/// <summary>
/// Both servers side by side, each with the same services and the same fixture invocations, started once for every
/// CLI test class. A server that fails to start fails only its own test cases.
/// </summary>
public sealed class CliServers : IAsyncLifetime
{
    private readonly Dictionary<ServerKind, Task<CliSide>> _sides = [];

    /// <summary>A second endpoint (only the `Removable` service) that tests register and remove.</summary>
    public NodeServicesProcess Removable { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Removable = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string> { ["SERVICES"] = "removable" });
        foreach (var kind in Enum.GetValues<ServerKind>())
        {
            _sides[kind] = CliSide.StartAsync(kind, Removable);
        }

        // A side that fails keeps its exception in its task: its own test cases rethrow it.
        await Task.WhenAll(_sides.Values.Select(side => side.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    public Task<CliSide> SideAsync(ServerKind kind) => _sides[kind];

    public async Task DisposeAsync()
    {
        foreach (var side in _sides.Values.Where(t => t.IsCompletedSuccessfully))
        {
            await side.Result.DisposeAsync();
        }

        await Removable.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliServers>
{
    public const string Name = "restate CLI against Keel and restate-server";
}
