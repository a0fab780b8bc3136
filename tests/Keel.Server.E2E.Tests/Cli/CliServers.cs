using System.Text.Json;
using Keel.Testing;

namespace Keel.Server.E2E.Tests.Cli;

/// <summary>Which server a CLI test case runs against.</summary>
public enum ServerKind
{
    /// <summary>The official restate-server: validates the harness and the expectations.</summary>
    Restate,

    /// <summary>The Keel server, compared with restate-server running the same scenario.</summary>
    Keel,
}

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
    private CliSide(ServerKind kind, IServerProcess server, NodeServicesProcess services)
    {
        Kind = kind;
        Server = server;
        Services = services;
        Ingress = new IngressClient(server.IngressUrl);
        Admin = new AdminClient(server.AdminUrl);
        Cli = new RestateCli(server.AdminUrl);
    }

    public ServerKind Kind { get; }

    public IServerProcess Server { get; }

    public NodeServicesProcess Services { get; }

    public IngressClient Ingress { get; }

    public AdminClient Admin { get; }

    public RestateCli Cli { get; }

    public string DeploymentId { get; private set; } = string.Empty;

    public FixtureInvocations Fixture { get; private set; } = null!;

    /// <summary>The URLs the normalizer replaces by their role.</summary>
    public IReadOnlyDictionary<Uri, string> Urls { get; private set; } = new Dictionary<Uri, string>();

    public static async Task<CliSide> StartAsync(ServerKind kind, NodeServicesProcess removable)
    {
        ArgumentNullException.ThrowIfNull(removable);
        IServerProcess server = kind == ServerKind.Restate ? await RestateServerProcess.StartAsync() : await KeelServerProcess.StartAsync();
        NodeServicesProcess? services = null;
        try
        {
            services = await NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());
            var side = new CliSide(kind, server, services);
            side.Urls = new Dictionary<Uri, string>
            {
                [server.AdminUrl] = "<admin-url>",
                [server.IngressUrl] = "<ingress-url>",
                [services.Url] = "<services-url>",
                [removable.Url] = "<removable-url>",
            };
            using var registered = await side.Admin.RegisterDeploymentAsync(services.Url, useHttp11: true);
            side.DeploymentId = registered.RootElement.GetProperty("id").GetString()!;
            side.Fixture = await side.StartFixtureInvocationsAsync();
            return side;
        }
        catch
        {
            if (services is not null)
            {
                await services.DisposeAsync();
            }

            await server.DisposeAsync();
            throw;
        }
    }

    private async Task<FixtureInvocations> StartFixtureInvocationsAsync()
    {
        async Task<string> Send(string path, object? body = null, string? delay = null)
        {
            var sent = await Ingress.SendAsync(path, body, delay);
            return sent.IsSuccess && sent.InvocationId is { } id
                ? id
                : throw new InvalidOperationException($"send {path}: {(int)sent.Status} {sent.Body}");
        }

        async Task<string> Call(string path, object body)
        {
            var called = await Ingress.CallAsync(path, body);
            return called.IsSuccess && called.InvocationId is { } id
                ? id
                : throw new InvalidOperationException($"call {path}: {(int)called.Status} {called.Body} (invocation id header: {called.InvocationId})");
        }

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
        Ingress.Dispose();
        Admin.Dispose();
        await Services.DisposeAsync();
        await Server.DisposeAsync();
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
