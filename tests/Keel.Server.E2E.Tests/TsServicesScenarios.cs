using System.Diagnostics;
using System.Net;
using Keel.TestSupport;

namespace Keel.Server.E2E.Tests;

public abstract class TsServicesScenarios<TSetup>(TSetup setup) : IClassFixture<TSetup>
    where TSetup : KeelServerWithTsServices
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private IngressClient Ingress => setup.Ingress;

    private static string NewKey() => Guid.NewGuid().ToString("N");

    private static object ProxyRequest(string service, string? key, string handler, string json, int? delayMillis = null) => new
    {
        serviceName = service,
        virtualObjectKey = key,
        handlerName = handler,
        message = System.Text.Encoding.UTF8.GetBytes(json).Select(b => (int)b).ToArray(),
        delayMillis,
    };

    private async Task<int> CounterValue(string key) => (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32();

    [Fact]
    public async Task Calls_to_a_service_and_an_object()
    {
        Assert.Equal("PING", (await Ingress.CallAsync("/TestUtilsService/uppercaseEcho", "ping")).Json.GetString());
        var key = NewKey();
        await Ingress.CallAsync($"/Counter/{key}/add", 1);
        var second = await Ingress.CallAsync($"/Counter/{key}/add", 2);
        Assert.Equal((1, 3), (second.Json.GetProperty("oldValue").GetInt32(), second.Json.GetProperty("newValue").GetInt32()));
    }

    [Fact]
    public async Task Service_to_object_call_and_one_way_send()
    {
        var key = NewKey();
        var called = await Ingress.CallAsync("/Proxy/call", ProxyRequest("Counter", key, "add", "1"));
        Assert.True(called.IsSuccess, called.Body);
        var sent = await Ingress.CallAsync("/Proxy/oneWayCall", ProxyRequest("Counter", key, "add", "1"));
        Assert.StartsWith("inv_1", sent.Json.GetString(), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await CounterValue(key) == 2, Patience, "the send to run");
    }

    [Fact]
    public async Task Ingress_send_with_a_delay_runs_after_it()
    {
        var key = NewKey();
        var clock = Stopwatch.StartNew();
        var sent = await Ingress.SendAsync($"/Counter/{key}/add", 1, delay: "1500ms");
        Assert.Equal(HttpStatusCode.Accepted, sent.Status);
        Assert.True(sent.Json.TryGetProperty("executionTime", out _));
        var early = await CounterValue(key);
        var readAt = clock.Elapsed;
        await Eventually.UntilAsync(async () => await CounterValue(key) == 1, Patience, "the delayed send");
        Assert.True(readAt >= TimeSpan.FromMilliseconds(1500) || early == 0);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1500));
    }

    [Fact]
    public async Task Delayed_send_from_a_handler_runs_after_its_delay()
    {
        var key = NewKey();
        var clock = Stopwatch.StartNew();
        await Ingress.CallAsync("/Proxy/oneWayCall", ProxyRequest("Counter", key, "add", "1", delayMillis: 1500));
        await Eventually.UntilAsync(async () => await CounterValue(key) == 1, Patience, "the delayed send");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1500));
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
        Assert.True((await Ingress.CallAsync("/Proxy/manyCalls", calls)).IsSuccess);
        var list = (await Ingress.CallAsync($"/ListObject/{key}/get")).Json.EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), list);
    }

    [Fact]
    public async Task Sleep_and_run()
    {
        var clock = Stopwatch.StartNew();
        Assert.Equal("slept", (await Ingress.CallAsync("/TestUtilsService/sleep", 300)).Json.GetString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300));
        var counted = (await Ingress.CallAsync("/TestUtilsService/countExecutedSideEffects", 3)).Json.GetInt32();
        Assert.Equal(setup.RequestResponse ? 0 : 3, counted);
    }

    [Fact]
    public async Task Run_is_retried_until_it_succeeds()
    {
        Assert.True((await Ingress.CallAsync($"/Failing/{NewKey()}/sideEffectSucceedsAfterGivenAttempts", 3)).Json.GetInt32() >= 3);
    }

    [Fact]
    public async Task Retryable_error_then_success_and_each_failed_attempt_is_in_the_server_log()
    {
        var key = NewKey();
        Assert.Equal(4, (await Ingress.CallAsync($"/Failing/{key}/failingCallWithEventualSuccess")).Json.GetInt32());
        var log = string.Join(' ', setup.ServerLogs().Split('\n').Select(l => l.Trim()));
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.Contains($"(Failing/{key}/failingCallWithEventualSuccess) attempt {attempt} failed: [500] Failed at attempt {attempt}", log, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Terminal_error_with_metadata()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/terminallyFailingCall", new { errorMessage = "my error", metadata = new Dictionary<string, string> { ["k"] = "v" } });
        Assert.Equal(HttpStatusCode.InternalServerError, response.Status);
        Assert.Equal("my error", response.Json.GetProperty("message").GetString());
        Assert.Equal("v", response.Json.GetProperty("metadata").GetProperty("k").GetString());
    }

    [Fact]
    public async Task Awakeable_resolved_from_the_ingress()
    {
        var key = NewKey();
        var sent = await Ingress.SendAsync($"/IngressAwakeable/{key}/await");
        var id = string.Empty;
        await Eventually.UntilAsync(async () => (id = (await Ingress.CallAsync($"/IngressAwakeable/{key}/getId")).Json.GetString()!).Length > 0, Patience, "the awakeable id");
        Assert.Equal(HttpStatusCode.Accepted, (await Ingress.ResolveAwakeableAsync(id, "done")).Status);
        Assert.Equal("done", (await Ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/attach")).Json.GetString());
    }

    [Fact]
    public async Task Workflow_runs_once_and_its_promise_resolves_it()
    {
        var id = NewKey();
        var sent = await Ingress.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "in");
        await Eventually.UntilAsync(async () => (await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/getState")).Body.Contains("in", StringComparison.Ordinal), Patience, "the run to store its input");
        await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/unblock", "out");
        Assert.Equal("out", (await Ingress.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/attach")).Json.GetString());
        var again = await Ingress.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "in");
        Assert.Equal(("PreviouslyAccepted", sent.InvocationId), (again.Json.GetProperty("status").GetString(), again.InvocationId));
        Assert.Equal(HttpStatusCode.Conflict, (await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/run", "in")).Status);
    }

    [Fact]
    public async Task Idempotency_key_runs_a_call_once()
    {
        var key = NewKey();
        var idem = NewKey();
        var first = await Ingress.CallAsync($"/Counter/{key}/add", 1, idem);
        var second = await Ingress.CallAsync($"/Counter/{key}/add", 1, idem);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(1, await CounterValue(key));
        Assert.Equal(1, (await Ingress.GetAsync($"/restate/invocation/Counter/{key}/add/{idem}/output")).Json.GetProperty("newValue").GetInt32());
    }

    [Fact]
    public async Task Ingress_errors_follow_restate()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Ingress.CallAsync("/Nope/x")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Ingress.CallAsync("/Counter/k/nope")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Ingress.CallAsync($"/Counter/{NewKey()}/add?delay=1s", 1)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await Ingress.CallAsync($"/BlockAndWaitWorkflow/{NewKey()}/run", "x", idempotencyKey: "k")).Status);
        var sent = await Ingress.SendAsync($"/Counter/{NewKey()}/add", 1, delay: "1h");
        Assert.Equal((HttpStatusCode)470, (await Ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/output")).Status);
    }
}

public sealed class TsServicesOnKeelServer(BidiStreamSetup setup) : TsServicesScenarios<BidiStreamSetup>(setup);

public sealed class TsServicesOnKeelServerRequestResponse(RequestResponseSetup setup) : TsServicesScenarios<RequestResponseSetup>(setup);

public sealed class TsServicesOnKeelServerOnPostgres(PostgresStorageSetup setup) : TsServicesScenarios<PostgresStorageSetup>(setup);

/// <summary>Three Keel nodes on one PostgreSQL database: requests enter at one node, registrations at another.</summary>
public sealed class TsServicesOnThreeNodeCluster(ThreeNodeClusterSetup setup) : TsServicesScenarios<ThreeNodeClusterSetup>(setup);
