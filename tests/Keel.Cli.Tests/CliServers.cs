using System.Text.Json;
using Keel.TestSupport;

namespace Keel.Cli.Tests;

/// <summary>The invocations the fixture leaves on each server, one per situation the read commands show.</summary>
public sealed record FixtureInvocations(string DeadlockRoot, string SleeperBusy, string SleeperQueued, string FlakyPaused, string ProfilePut, string EchoCompleted)
{
    /// <summary>A/k.hop(["B","A"]): A/k waits on its call to B/k, whose call to A/k waits for A/k's lock.</summary>
    public const string DeadlockKey = "cli-dl";
}

/// <summary>One server with the services of tests/oracles/services/cli.mjs registered and the fixture's invocations started.</summary>
public sealed class CliSide : IAsyncDisposable
{
    private readonly ServicesOnServer _on;

    private CliSide(ServicesOnServer on)
    {
        _on = on;
        Cli = new KeelCli(on.Server.AdminUrl, on.Server.IngressUrl);
    }

    public ServerKind Kind => _on.Kind;

    public IServerProcess Server => _on.Server;

    public NodeServicesProcess Services => _on.Services;

    public IngressClient Ingress => _on.Ingress;

    public AdminClient Admin => _on.Admin;

    public KeelCli Cli { get; }

    public string DeploymentId => _on.DeploymentId;

    public FixtureInvocations Fixture { get; private set; } = null!;

    public static async Task<CliSide> StartAsync(ServerKind kind)
    {
        var on = await ServicesOnServer.StartAsync(kind);
        var side = new CliSide(on);
        try
        {
            side.Fixture = await side.StartFixtureAsync();
            return side;
        }
        catch
        {
            await side.DisposeAsync();
            throw;
        }
    }

    /// <summary>A one-way send through the ingress: the invocation id.</summary>
    public Task<string> SendAsync(string path, object? body = null) => _on.SendAsync(path, body);

    private async Task<FixtureInvocations> StartFixtureAsync()
    {
        var deadlock = await SendAsync($"/A/{FixtureInvocations.DeadlockKey}/hop", new[] { "B", "A" });
        var busy = await SendAsync("/Sleeper/busy/sleep", 3_600_000);
        var queued = await SendAsync("/Sleeper/busy/ping");
        var flaky = await SendAsync("/Flaky/run", "fixture");
        var profile = await _on.CallAsync("/Profile/alice/put", new Dictionary<string, object> { ["name"] = "alice", ["visits"] = 3 });
        var echo = await _on.CallAsync("/Echo/fixture/echo", "hi");
        return new FixtureInvocations(deadlock, busy, queued, flaky, profile, echo);
    }

    /// <summary>The status of an invocation from sys_invocation ("" when it is not there).</summary>
    public async Task<string> StatusAsync(string id)
    {
        var rows = await Cli.JsonAsync("sql", $"SELECT status FROM sys_invocation WHERE id = '{id}'");
        return rows.GetArrayLength() == 0 ? string.Empty : rows[0].GetProperty("status").GetString()!;
    }

    public ValueTask DisposeAsync() => _on.DisposeAsync();
}

/// <summary>Both servers, started side by side once for all the CLI tests; a server that fails to start fails only its own cases.</summary>
public sealed class CliServers : IAsyncLifetime
{
    private readonly Dictionary<ServerKind, Task<CliSide>> _sides = [];

    public Task InitializeAsync()
    {
        foreach (var kind in Enum.GetValues<ServerKind>())
        {
            _sides[kind] = CliSide.StartAsync(kind);
        }

        return Task.WhenAll(_sides.Values.Select(side => side.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    public Task<CliSide> SideAsync(ServerKind kind) => _sides[kind];

    public async Task DisposeAsync()
    {
        foreach (var side in _sides.Values.Where(t => t.IsCompletedSuccessfully))
        {
            await side.Result.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliServers>
{
    public const string Name = "keel CLI against Keel and restate-server";
}

/// <summary>Helpers the CLI tests share.</summary>
[Collection(CliCollection.Name)]
public abstract class CliTestBase(CliServers servers)
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    protected Task<CliSide> SideAsync(ServerKind kind) => servers.SideAsync(kind);

    protected static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : string.Empty;

    protected static List<JsonElement> Items(JsonElement array) => [.. array.EnumerateArray()];

    protected static string NewKey(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Polls `keel … --json` until the condition holds on its output; returns that output.</summary>
    protected static async Task<JsonElement> UntilAsync(CliSide side, Func<JsonElement, bool> condition, string what, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(side);
        JsonElement last = default;
        await Eventually.UntilAsync(async () =>
        {
            last = await side.Cli.JsonAsync(arguments);
            return condition(last);
        }, Patience, $"{what} on {side.Kind} (keel {string.Join(' ', arguments)}; last: {(last.ValueKind == JsonValueKind.Undefined ? "-" : last.GetRawText())})");
        return last;
    }
}
