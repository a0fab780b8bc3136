using System.Net;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

/// <summary>
/// kill -9 of the server under a stream of calls and delayed sends, then a restart on the same data
/// directory: every acknowledged invocation completes exactly once, every delayed send still fires.
/// Clients whose call was cut off retry with the same idempotency key ("outcome unknown").
/// </summary>
public abstract class CrashRecoveryScenarios(bool onPostgres) : KilledServerScenarios(onPostgres)
{
    [Fact]
    public async Task Acknowledged_work_survives_kill_9_exactly_once()
    {
        var counterKey = Guid.NewGuid().ToString("N");
        var delayedKey = Guid.NewGuid().ToString("N");
        const int calls = 200;
        const int delayedSends = 10;
        using var ingress = new IngressClient(Server.IngressUrl);

        for (var i = 0; i < delayedSends; i++)
        {
            var sent = await ingress.SendAsync($"/Counter/{delayedKey}/add", 1, delay: "3s", idempotencyKey: $"delayed-{i}");
            Assert.Equal(HttpStatusCode.Accepted, sent.Status);
        }

        // A stream of idempotent calls; the server dies part-way through.
        var acknowledged = new bool[calls];
        var stream = Task.Run(async () =>
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, calls), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            {
                try
                {
                    acknowledged[i] = (await ingress.CallAsync($"/Counter/{counterKey}/add", 1, $"call-{i}")).IsSuccess;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Outcome unknown: retried below with the same idempotency key.
                }
            });
        });
        await Eventually.UntilAsync(() => Task.FromResult(acknowledged.Count(a => a) >= calls / 3), TimeSpan.FromSeconds(30), "a third of the calls to be acknowledged");
        await Server.KillAsync();
        await stream;
        var beforeCrash = acknowledged.Count(a => a);
        Assert.InRange(beforeCrash, calls / 3, calls - 1); // the crash interrupted the stream

        await Server.RestartAsync();
        using var afterRestart = new IngressClient(Server.IngressUrl);
        for (var i = 0; i < calls; i++)
        {
            if (!acknowledged[i])
            {
                await Eventually.UntilAsync(async () => (await afterRestart.CallAsync($"/Counter/{counterKey}/add", 1, $"call-{i}")).IsSuccess,
                    TimeSpan.FromSeconds(30), $"call {i} to be retried");
            }
        }

        Assert.Equal(calls, (await afterRestart.CallAsync($"/Counter/{counterKey}/get")).Json.GetInt32());
        await Eventually.UntilAsync(async () => (await afterRestart.CallAsync($"/Counter/{delayedKey}/get")).Json.GetInt32() == delayedSends,
            TimeSpan.FromSeconds(30), "every delayed send to fire after the restart");
        Assert.Equal(delayedSends, (await afterRestart.CallAsync($"/Counter/{delayedKey}/get")).Json.GetInt32());
    }

    [Fact]
    public async Task Endpoint_killed_during_an_invocation_is_retried_and_the_invocation_completes()
    {
        using var ingress = new IngressClient(Server.IngressUrl);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Once the send is acknowledged the invocation is durable and being attempted: crash the endpoint under it.
        var sent = await ingress.SendAsync("/TestUtilsService/sleep", 2000);
        Assert.Equal(HttpStatusCode.Accepted, sent.Status);
        await Services.CrashAndRestartAsync();

        var attached = await ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/attach");
        Assert.Equal(HttpStatusCode.OK, attached.Status);
        Assert.Equal("slept", attached.Json.GetString());
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2));
    }
}

/// <summary>On the embedded RocksDB storage.</summary>
public sealed class CrashRecoveryTests() : CrashRecoveryScenarios(onPostgres: false);

/// <summary>On PostgreSQL storage: the database outlives the killed server, as a data directory does.</summary>
public sealed class CrashRecoveryOnPostgresTests() : CrashRecoveryScenarios(onPostgres: true);
