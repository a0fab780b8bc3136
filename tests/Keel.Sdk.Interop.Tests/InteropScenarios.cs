using System.Diagnostics;
using System.Net;
using Keel.TestSupport;

namespace Keel.Sdk.Interop.Tests;

/// <summary>
/// The SDK's scenarios, run against the real restate-server once per protocol setup
/// (see the subclasses at the end of this file).
/// </summary>
public abstract partial class InteropScenarios<TSetup>(TSetup setup) : IClassFixture<TSetup>
    where TSetup : RestateWithKeelEndpoint
{
    protected TSetup Setup { get; } = setup;

    protected IngressClient Ingress => Setup.Ingress;

    protected static string NewKey() => Guid.NewGuid().ToString("N");

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Call_to_a_service()
    {
        var response = await Ingress.CallAsync("/TestUtilsService/uppercaseEcho", "ping");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("PING", response.Json.GetString());
        Assert.StartsWith("inv_1", response.InvocationId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Calls_to_an_object_keep_its_state()
    {
        var key = NewKey();
        var first = await Ingress.CallAsync($"/Counter/{key}/add", 1);
        var second = await Ingress.CallAsync($"/Counter/{key}/add", 2);
        Assert.Equal((0, 1), (first.Json.GetProperty("oldValue").GetInt32(), first.Json.GetProperty("newValue").GetInt32()));
        Assert.Equal((1, 3), (second.Json.GetProperty("oldValue").GetInt32(), second.Json.GetProperty("newValue").GetInt32()));
        Assert.Equal(3, (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32());
    }

    [Fact]
    public async Task Service_to_object_call_through_the_proxy()
    {
        var key = NewKey();
        var response = await Ingress.CallAsync("/Proxy/call", ProxyRequest("Counter", key, "add", "5"));
        Assert.Equal("{\"oldValue\":0,\"newValue\":5}", Utf8(response.Json));
    }

    [Fact]
    public async Task Raw_bytes_pass_through_unchanged()
    {
        var bytes = new byte[100];
        new Random(7).NextBytes(bytes);
        var response = await Ingress.PostAsync("/TestUtilsService/rawEcho", bytes, "application/octet-stream");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(bytes, response.Bytes);
    }

    [Fact]
    public async Task Headers_reach_the_handler()
    {
        var response = await Ingress.CallAsync("/TestUtilsService/echoHeaders", headers: new Dictionary<string, string> { ["x-my-custom-header"] = "x-my-custom-value" });
        Assert.Equal("x-my-custom-value", response.Json.GetProperty("x-my-custom-header").GetString());
    }

    [Fact]
    public async Task One_way_sends_from_a_handler_all_run()
    {
        var key = NewKey();
        for (var i = 0; i < 3; i++)
        {
            var sent = await Ingress.CallAsync("/Proxy/oneWayCall", ProxyRequest("Counter", key, "add", "1"));
            Assert.StartsWith("inv_1", sent.Json.GetString(), StringComparison.Ordinal);
        }

        await Eventually.UntilAsync(async () => (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32() == 3, Patience, "3 sends to run");
    }

    [Fact]
    public async Task Delayed_send_runs_after_its_delay_and_not_before()
    {
        var key = NewKey();
        var delay = TimeSpan.FromSeconds(2);
        var clock = Stopwatch.StartNew();
        await Ingress.CallAsync("/Proxy/oneWayCall", ProxyRequest("Counter", key, "add", "1", delayMillis: (int)delay.TotalMilliseconds));
        var beforeDelay = (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32();
        var readAt = clock.Elapsed;
        await Eventually.UntilAsync(async () => (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32() == 1, Patience, "the delayed send to run");
        if (readAt < delay)
        {
            Assert.Equal(0, beforeDelay);
        }

        Assert.True(clock.Elapsed >= delay, $"ran after {clock.Elapsed}, before its {delay} delay");
    }

    [Fact]
    public async Task Hundred_sends_to_one_key_run_in_send_order()
    {
        var key = NewKey();
        var calls = Enumerable.Range(0, 100).Select(i => new
        {
            proxyRequest = ProxyRequest("ListObject", key, "append", $"\"{i}\""),
            oneWayCall = i < 99,
            awaitAtTheEnd = i == 99,
        }).ToList();
        var response = await Ingress.CallAsync("/Proxy/manyCalls", calls);
        Assert.True(response.IsSuccess, response.Body);
        var list = (await Ingress.CallAsync($"/ListObject/{key}/get")).Json.EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), list);
    }

    [Fact]
    public async Task State_set_get_keys_and_clear_all()
    {
        var key = NewKey();
        var other = NewKey();
        await Ingress.CallAsync($"/MapObject/{key}/set", new { key = "a", value = "1" });
        await Ingress.CallAsync($"/MapObject/{key}/set", new { key = "b", value = "2" });
        await Ingress.CallAsync($"/MapObject/{other}/set", new { key = "a", value = "other" });
        Assert.Equal("2", (await Ingress.CallAsync($"/MapObject/{key}/get", "b")).Json.GetString());
        var cleared = (await Ingress.CallAsync($"/MapObject/{key}/clearAll")).Json.EnumerateArray()
            .Select(e => (e.GetProperty("key").GetString(), e.GetProperty("value").GetString())).OrderBy(e => e.Item1).ToList();
        Assert.Equal([("a", "1"), ("b", "2")], cleared);
        Assert.Equal(string.Empty, (await Ingress.CallAsync($"/MapObject/{key}/get", "a")).Json.GetString());
        Assert.Equal("other", (await Ingress.CallAsync($"/MapObject/{other}/get", "a")).Json.GetString());
    }

    [Fact]
    public async Task Runs_execute_once_and_replay_from_the_journal_after_suspension()
    {
        // In request-response mode every run result is acknowledged only on a new attempt, so each
        // attempt replays the earlier runs from the journal: none of them executes in the last one.
        var response = await Ingress.CallAsync("/TestUtilsService/countExecutedSideEffects", 3);
        Assert.Equal(Setup.RequestResponse ? 0 : 3, response.Json.GetInt32());
    }

    protected static object ProxyRequest(string service, string? key, string handler, string jsonMessage, int? delayMillis = null, string? idempotencyKey = null) => new
    {
        serviceName = service,
        virtualObjectKey = key,
        handlerName = handler,
        message = System.Text.Encoding.UTF8.GetBytes(jsonMessage).Select(b => (int)b).ToArray(),
        delayMillis,
        idempotencyKey,
    };

    protected static string Utf8(System.Text.Json.JsonElement byteArray) =>
        System.Text.Encoding.UTF8.GetString(byteArray.EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray());
}

public sealed class OnRestateV6(V6BidiStream setup) : InteropScenarios<V6BidiStream>(setup);

public sealed class OnRestateV7(V7BidiStream setup) : InteropScenarios<V7BidiStream>(setup);

public sealed class OnRestateRequestResponse(V6RequestResponse setup) : InteropScenarios<V6RequestResponse>(setup);

public sealed class OnKeelServer(KeelServerV6 setup) : InteropScenarios<KeelServerV6>(setup);

public sealed class OnKeelServerV7(KeelServerV7 setup) : InteropScenarios<KeelServerV7>(setup);

public sealed class OnKeelServerRequestResponse(KeelServerRequestResponse setup) : InteropScenarios<KeelServerRequestResponse>(setup);

public sealed class OnKeelCluster(KeelClusterV6 setup) : InteropScenarios<KeelClusterV6>(setup);
