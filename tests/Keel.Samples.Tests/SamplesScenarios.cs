using System.Diagnostics;
using System.Net;
using Keel.Samples;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;

namespace Keel.Samples.Tests;

/// <summary>The sample services on an endpoint in this process, registered with a server.</summary>
public abstract class SamplesEnvironment : IAsyncLifetime
{
    private WebApplication? _endpoint;

    public IServerProcess Server { get; private set; } = null!;

    public IngressClient Ingress { get; private set; } = null!;

    protected abstract Task<IServerProcess> StartServerAsync();

    public async Task InitializeAsync()
    {
        Server = await StartServerAsync();
        var port = FreePort.Next();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => SampleServices.Register(k));
        await _endpoint.StartAsync();
        using var admin = new AdminClient(Server.AdminUrl);
        await admin.RegisterDeploymentAsync(new Uri($"http://127.0.0.1:{port}"));
        Ingress = new IngressClient(Server.IngressUrl);
    }

    public async Task DisposeAsync()
    {
        Ingress?.Dispose();
        if (_endpoint is not null)
        {
            await _endpoint.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

public sealed class RestateSamplesEnvironment : SamplesEnvironment
{
    protected override async Task<IServerProcess> StartServerAsync() => await RestateServerProcess.StartAsync();
}

public sealed class KeelSamplesEnvironment : SamplesEnvironment
{
    protected override async Task<IServerProcess> StartServerAsync() => await KeelServerProcess.StartAsync();
}

/// <summary>The samples on the official Restate server.</summary>
public sealed class SamplesOnRestate(RestateSamplesEnvironment env) : SamplesScenarios(env), IClassFixture<RestateSamplesEnvironment>;

/// <summary>The same scenarios on the Keel server.</summary>
public sealed class SamplesOnKeel(KeelSamplesEnvironment env) : SamplesScenarios(env), IClassFixture<KeelSamplesEnvironment>;

public abstract class SamplesScenarios(SamplesEnvironment env)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Greeter_calls_the_counter_object()
    {
        var name = Guid.NewGuid().ToString("N");
        Assert.Equal($"Hello {name}, visit #1", (await env.Ingress.CallAsync("/Greeter/greet", name)).Json.GetString());
        Assert.Equal($"Hello {name}, visit #2", (await env.Ingress.CallAsync("/Greeter/greet", name)).Json.GetString());
    }

    [Fact]
    public async Task Signup_workflow_waits_for_its_confirmation()
    {
        var id = Guid.NewGuid().ToString("N");
        var run = await env.Ingress.SendAsync($"/Signup/{id}/run", "ada@example.com");
        Assert.Equal(HttpStatusCode.Accepted, run.Status);
        Assert.Equal(HttpStatusCode.OK, (await env.Ingress.CallAsync($"/Signup/{id}/confirm", "not-the-code")).Status);
        Assert.Equal("ada@example.com gave a wrong code", (await env.Ingress.GetAsync($"/restate/workflow/Signup/{id}/attach")).Json.GetString());
    }

    [Fact]
    public async Task Orders_send_returns_the_invocation_id()
    {
        var response = await env.Ingress.CallAsync("/Orders/place", new { id = "o-1", customer = "ada@example.com" });
        Assert.StartsWith("inv_1", response.Json.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Inbox_sends_land_in_send_order()
    {
        var key = Guid.NewGuid().ToString("N");
        await env.Ingress.CallAsync($"/Inbox/{key}/burst", 20);
        var expected = Enumerable.Range(0, 20).Select(i => $"message {i}").ToList();
        await Eventually.UntilAsync(async () =>
            (await env.Ingress.CallAsync($"/Inbox/{key}-burst/read")).Json.EnumerateArray().Select(e => e.GetString()).SequenceEqual(expected),
            Patience, "20 messages in send order");
    }

    [Fact]
    public async Task Deadlock_between_two_accounts_is_unblocked_with_the_official_cli()
    {
        var a = "a-" + Guid.NewGuid().ToString("N");
        var b = "b-" + Guid.NewGuid().ToString("N");
        var pay = await env.Ingress.SendAsync($"/Bank/{a}/pay", new { to = b, amount = 10 });

        // B's call back into A (Confirm) is queued behind A's lock: A cannot finish on its own.
        var stuck = await env.Ingress.GetAsync($"/restate/invocation/{pay.InvocationId}/output");
        Assert.Equal((HttpStatusCode)470, stuck.Status);

        // Keel found the cycle itself: GET /deadlocks (Keel's own) lists it, with pay in it.
        using var admin = new AdminClient(env.Server.AdminUrl);
        var keel = env is KeelSamplesEnvironment;
        if (keel)
        {
            await Eventually.UntilAsync(async () => (await DeadlockedIdsAsync(admin)).Contains(pay.InvocationId!), Patience, "the cycle on GET /deadlocks");
        }

        var cli = new ProcessStartInfo(RepoPaths.RestateCliBinary, ["invocations", "cancel", pay.InvocationId!, "--yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        cli.Environment["RESTATE_ADMIN_URL"] = env.Server.AdminUrl.ToString();
        await Eventually.UntilAsync(async () =>
        {
            using var process = Process.Start(cli)!;
            await process.WaitForExitAsync();
            var output = await env.Ingress.GetAsync($"/restate/invocation/{pay.InvocationId}/output");
            return output.Status == HttpStatusCode.OK;
        }, Patience, "the CLI to cancel the deadlocked payment");

        Assert.Equal("cancelled: nothing was paid", (await env.Ingress.GetAsync($"/restate/invocation/{pay.InvocationId}/output")).Json.GetString());
        if (keel)
        {
            await Eventually.UntilAsync(async () => !(await DeadlockedIdsAsync(admin)).Contains(pay.InvocationId!), Patience, "the broken cycle to leave GET /deadlocks");
        }
        Assert.Equal(0, (await env.Ingress.CallAsync($"/Bank/{a}/getBalance")).Json.GetInt64());
        Assert.Equal(0, (await env.Ingress.CallAsync($"/Bank/{b}/getBalance")).Json.GetInt64());

        // Both keys serve exclusive handlers again (their locks are free).
        Assert.Equal($"confirmed 5 to {b}", (await env.Ingress.CallAsync($"/Bank/{a}/confirm", new { to = b, amount = 5 })).Json.GetString());
        Assert.Equal($"confirmed 5 to {a}", (await env.Ingress.CallAsync($"/Bank/{b}/confirm", new { to = a, amount = 5 })).Json.GetString());
    }

    /// <summary>The ids of every invocation on a cycle the server lists on <c>GET /deadlocks</c>.</summary>
    private static async Task<HashSet<string>> DeadlockedIdsAsync(AdminClient admin)
    {
        var (status, body) = await admin.GetJsonAsync("/deadlocks");
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. body!.Value.GetProperty("deadlocks").EnumerateArray()
            .SelectMany(c => c.GetProperty("invocations").EnumerateArray().Select(i => i.GetProperty("id").GetString()!))];
    }
}
