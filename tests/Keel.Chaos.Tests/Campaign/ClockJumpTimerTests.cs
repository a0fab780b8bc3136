using System.Text.Json;
using Keel.Chaos.Campaign;
using Keel.Chaos.History;
using Keel.Chaos.Nemeses;
using Keel.Chaos.Workloads;
using Keel.TestSupport;

namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// Timers across wall-clock jumps: delayed sends (stored with their due wall time) are scheduled, the server is
/// killed and started with its clock shifted forward (they all fall due at once), more are scheduled and it is
/// restarted with its clock shifted back a little (they fall due late). Every message must then be in its inbox
/// exactly once: none lost to the jumps, none fired twice by the restarts.
/// </summary>
[Collection(CampaignCollection.Name)]
public sealed class ClockJumpTimerTests
{
    private const int PerPhase = 10;

    [Fact]
    public async Task Delayed_sends_fire_exactly_once_when_the_clock_jumps_forward_and_back_across_restarts()
    {
        await using var server = await KeelServerProcess.StartAsync();
        await using var endpoint = await ChaosEndpointProcess.StartAsync();
        using (var admin = new AdminClient(server.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(endpoint.Url);
        }

        var history = new OpHistory();
        var clock = new ClockJumpNemesis(server);
        using var caller = new IngressCaller(server.IngressUrl, TimeSpan.FromSeconds(10));

        await ScheduleAsync(caller, "forward");
        // Due in 9 minutes by the old clock: it arrives in this test only because the clock jumps 10 minutes or more.
        var far = await caller.CallAsync("/ChaosInbox/clock-0/append/send?delay=9m", new { sender = "far", seq = 1 }, idempotencyKey: "far");
        Assert.True(far.Kind == OpKind.Ok, far.Error);
        await JumpAsync(clock, history, forward: true);
        await ScheduleAsync(caller, "back");
        await JumpAsync(clock, history, forward: false);
        await ScheduleAsync(caller, "after");

        var expected = new[] { "forward", "back", "after" }.SelectMany(phase => Enumerable.Range(1, PerPhase).Select(seq => (phase, (long)seq))).Append(("far", 1L)).ToHashSet();
        Dictionary<(string, long), int> arrived = [];
        await Eventually.UntilAsync(async () =>
        {
            arrived = await ReadInboxesAsync(caller);
            return expected.All(arrived.ContainsKey);
        }, TimeSpan.FromSeconds(60), "every delayed send to arrive");

        Assert.True(clock.Offset > TimeSpan.Zero, $"the clock ended {clock.Offset} from the machine's");
        Assert.Equal(expected.Order(), arrived.Keys.Order());
        Assert.All(arrived, message => Assert.True(message.Value == 1, $"{message.Key} arrived {message.Value} times"));
    }

    /// <summary>Delays of 2–5 s, spread over three inbox keys, each send with its own idempotency key.</summary>
    private static async Task ScheduleAsync(IngressCaller caller, string phase)
    {
        for (var seq = 1; seq <= PerPhase; seq++)
        {
            var outcome = await caller.CallAsync($"/ChaosInbox/clock-{seq % 3}/append/send?delay={2 + (seq % 4)}s", new { sender = phase, seq }, idempotencyKey: $"{phase}-{seq}");
            Assert.True(outcome.Kind == OpKind.Ok, $"the delayed send {phase} {seq}: {outcome.Error}");
        }
    }

    /// <summary>
    /// Draws seeds until the nemesis picks the wanted direction (forward: by 10 minutes or more), so the test does not
    /// depend on one seed's choice; the nemesis draws the direction first, then the amount in seconds.
    /// </summary>
    private static async Task JumpAsync(ClockJumpNemesis clock, OpHistory history, bool forward)
    {
        var before = clock.Offset;
        for (var seed = 0; ; seed++)
        {
            var draws = new Random(seed);
            if (forward ? draws.Next(2) == 0 && draws.Next(60, 1200) >= 600 : draws.Next(2) != 0)
            {
                await clock.FaultAsync(new Random(seed), history);
                Assert.True(forward ? clock.Offset - before >= TimeSpan.FromMinutes(10) : clock.Offset < before, $"the clock went from {before} to {clock.Offset}");
                return;
            }
        }
    }

    private static async Task<Dictionary<(string, long), int>> ReadInboxesAsync(IngressCaller caller)
    {
        var counts = new Dictionary<(string, long), int>();
        for (var key = 0; key < 3; key++)
        {
            var outcome = await caller.CallAsync($"/ChaosInbox/clock-{key}/get", null);
            if (outcome.Kind != OpKind.Ok || outcome.Body is not { ValueKind: JsonValueKind.Array } messages)
            {
                return [];
            }

            foreach (var message in messages.EnumerateArray())
            {
                var id = (message.GetProperty("sender").GetString()!, message.GetProperty("seq").GetInt64());
                counts[id] = counts.GetValueOrDefault(id) + 1;
            }
        }

        return counts;
    }
}
