using System.Net;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests.Deadlocks;

/// <summary>
/// Deadlocks among services of the official TypeScript SDK (tests/oracles/services/cli.mjs: A, B and C, whose
/// <c>hop</c> calls the next object of its route on the same key) on a Keel server process. The wait-for graph is
/// in memory: a cycle standing when the server is killed (kill -9) is found again after the restart, from what
/// the partitions hold (keys held, queues, unanswered calls), and is gone once cancelled.
/// </summary>
public abstract class DeadlockRestartScenarios(bool onPostgres) : KilledServerScenarios(onPostgres)
{
    protected override Task<NodeServicesProcess> StartServicesAsync() => NodeServicesProcess.StartAsync("cli.mjs", new Dictionary<string, string>());

    protected override bool ServicesUseHttp11 => true;

    [Fact]
    public async Task A_cycle_standing_at_kill_9_is_reported_again_after_the_restart_until_cancelled()
    {
        var key = Guid.NewGuid().ToString("N");
        using (var ingress = new IngressClient(Server.IngressUrl))
        {
            // A/k → B/k → C/k → A/k (queued behind the first A/k): three services of the TS SDK, four invocations.
            var sent = await ingress.SendAsync($"/A/{key}/hop", new[] { "B", "C", "A" });
            Assert.True(sent.IsSuccess, sent.Body);
        }

        var before = await CycleAsync(Server, "the A→B→C→A cycle before the kill");
        Assert.Equal(4, before.Count);
        Assert.Equal(["A", "A", "B", "C"], before.Select(m => m.Target.Split('/')[0]).Order());
        Assert.Single(before, m => m.WaitsOn == "lock");

        await Server.KillAsync();
        await Server.RestartAsync();

        // The same invocations, waiting on the same things: rebuilt from the store, not learnt from new waits
        // (nothing new happens: every member is suspended or queued).
        var after = await CycleAsync(Server, "the cycle reported again after the restart");
        Assert.Equal(before.Order(), after.Order());

        using var admin = new AdminClient(Server.AdminUrl);
        var root = before.Single(m => m.Target == $"A/{key}/hop" && m.WaitsOn == "call").Id;
        Assert.InRange((int)await admin.PatchInvocationAsync(root, "cancel"), 200, 299);
        await Eventually.UntilAsync(async () => (await DeadlocksAsync(Server)).Count == 0, TimeSpan.FromSeconds(30), "the cancelled cycle to leave GET /deadlocks");
        using var again = new IngressClient(Server.IngressUrl);
        Assert.Equal("\"A pong\"", (await again.CallAsync($"/A/{key}/ping")).Body);
    }

    [Fact]
    public async Task A_key_calling_itself_is_a_cycle_of_its_two_invocations()
    {
        var key = Guid.NewGuid().ToString("N");
        using var ingress = new IngressClient(Server.IngressUrl);
        var sent = await ingress.SendAsync($"/A/{key}/hop", new[] { "A" });
        Assert.True(sent.IsSuccess, sent.Body);

        var cycle = await CycleAsync(Server, "A/k calling A/k");
        Assert.Equal(2, cycle.Count);
        Assert.All(cycle, m => Assert.Equal($"A/{key}/hop", m.Target));
        Assert.Contains((sent.InvocationId!, $"A/{key}/hop", "call"), cycle);
        Assert.Single(cycle, m => m.WaitsOn == "lock");

        using var admin = new AdminClient(Server.AdminUrl);
        Assert.InRange((int)await admin.PatchInvocationAsync(sent.InvocationId!, "cancel"), 200, 299);
        await Eventually.UntilAsync(async () => (await DeadlocksAsync(Server)).Count == 0, TimeSpan.FromSeconds(30), "the cancelled cycle to leave GET /deadlocks");
    }

    private static async Task<List<(string Id, string Target, string WaitsOn)>> CycleAsync(KeelServerProcess server, string what)
    {
        List<(string, string, string)>? members = null;
        await Eventually.UntilAsync(async () =>
        {
            var cycles = await DeadlocksAsync(server);
            members = cycles.Count == 1 ? cycles[0] : null;
            return members is not null;
        }, TimeSpan.FromSeconds(30), what);
        return members!;
    }

    /// <summary>GET /deadlocks: each cycle's members (id, target, what it waits on); none while the server is not up yet.</summary>
    internal static async Task<List<List<(string Id, string Target, string WaitsOn)>>> DeadlocksAsync(KeelServerProcess server)
    {
        using var admin = new AdminClient(server.AdminUrl);
        try
        {
            var (status, body) = await admin.GetJsonAsync("/deadlocks");
            if (status != HttpStatusCode.OK || body is not { } json)
            {
                return [];
            }

            return [.. json.GetProperty("deadlocks").EnumerateArray().Select(c => c.GetProperty("invocations").EnumerateArray()
                .Select(m => (m.GetProperty("id").GetString()!, m.GetProperty("target").GetString()!, m.GetProperty("waits_on").GetString()!)).ToList())];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }
}

/// <summary>On the embedded RocksDB storage.</summary>
public sealed class DeadlockRestartTests() : DeadlockRestartScenarios(onPostgres: false);

/// <summary>On PostgreSQL storage (one node): the partitions rebuild their waits when they take their leases again.</summary>
public sealed class DeadlockRestartOnPostgresTests() : DeadlockRestartScenarios(onPostgres: true);
