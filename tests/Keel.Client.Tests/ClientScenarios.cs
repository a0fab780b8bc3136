using System.Diagnostics;
using Keel.Sdk;
using Keel.TestSupport;

namespace Keel.Client.Tests;

/// <summary>Keel.Client's untyped API, once per server (see the subclasses at the end).</summary>
public abstract class ClientScenarios<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ClientFixture
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private IKeelClient Client => fixture.Client;

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Call_a_service_with_camelCase_and_enum_names_on_the_wire()
    {
        var answer = await Client.CallAsync<string>(Target.Service("Greeter", "greet"), new Greeting("Ada", Mood.Cheerful));
        Assert.Equal("Hello Ada (Cheerful)", answer);
    }

    [Fact]
    public async Task Call_an_object_keeps_its_state()
    {
        var key = NewKey();
        Assert.Equal(2, await Client.CallAsync<long>(Target.Object("ClientCounter", key, "add"), 2));
        Assert.Equal(5, await Client.CallAsync<long>(Target.Object("ClientCounter", key, "add"), 3));
        Assert.Equal(5, await Client.CallAsync<long>(Target.Object("ClientCounter", key, "get")));
    }

    [Fact]
    public async Task Terminal_failure_surfaces_as_TerminalException_with_code_and_message()
    {
        var error = await Assert.ThrowsAsync<TerminalException>(() => Client.CallAsync<string>(Target.Service("Greeter", "fail"), "no greeting today"));
        Assert.Equal(418, error.Code);
        Assert.Contains("no greeting today", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_handler_is_a_TerminalException_with_the_ingress_status()
    {
        var error = await Assert.ThrowsAsync<TerminalException>(() => Client.CallAsync<string>(Target.Service("Greeter", "Greet"), new Greeting("x", Mood.Calm)));
        Assert.Equal(404, error.Code);
    }

    [Fact]
    public async Task Send_returns_an_id_and_attach_and_output_read_the_result()
    {
        var key = NewKey();
        var sent = await Client.SendAsync(Target.Object("ClientCounter", key, "add"), 7);
        Assert.StartsWith("inv_", sent.InvocationId, StringComparison.Ordinal);
        Assert.Equal(7, await Client.AttachAsync<long>(InvocationRef.ById(sent.InvocationId)));
        Assert.Equal(7, await Client.GetOutputAsync<long>(InvocationRef.ById(sent.InvocationId)));
    }

    [Fact]
    public async Task Delayed_send_runs_after_its_delay()
    {
        var key = NewKey();
        var delay = TimeSpan.FromSeconds(2);
        var clock = Stopwatch.StartNew();
        var sent = await Client.SendAsync(Target.Object("ClientCounter", key, "add"), 1, delay);
        Assert.Equal(1, await Client.AttachAsync<long>(InvocationRef.ById(sent.InvocationId)));
        Assert.True(clock.Elapsed >= delay - TimeSpan.FromMilliseconds(100), $"ran after {clock.Elapsed}, before its {delay} delay");
    }

    [Fact]
    public async Task Idempotent_call_returns_the_same_result_twice_and_attaches_by_key()
    {
        var key = NewKey();
        var target = Target.Object("ClientCounter", key, "add");
        var options = new IngressCallOptions { IdempotencyKey = "once-" + key };
        Assert.Equal(4, await Client.CallAsync<long>(target, 4, options));
        Assert.Equal(4, await Client.CallAsync<long>(target, 4, options));
        Assert.Equal(4, await Client.CallAsync<long>(Target.Object("ClientCounter", key, "get")));
        Assert.Equal(4, await Client.AttachAsync<long>(InvocationRef.ByIdempotencyKey(target, options.IdempotencyKey)));
        Assert.Equal(4, await Client.GetOutputAsync<long>(InvocationRef.ByIdempotencyKey(target, options.IdempotencyKey)));
    }

    [Fact]
    public async Task Idempotent_send_to_a_service_attaches_by_key()
    {
        var target = Target.Service("Greeter", "greet");
        var options = new IngressCallOptions { IdempotencyKey = NewKey() };
        var first = await Client.SendAsync(target, new Greeting("Bo", Mood.Calm), options: options);
        var second = await Client.SendAsync(target, new Greeting("Bo", Mood.Calm), options: options);
        Assert.Equal(first.InvocationId, second.InvocationId);
        Assert.Equal("Hello Bo (Calm)", await Client.AttachAsync<string>(InvocationRef.ByIdempotencyKey(target, options.IdempotencyKey)));
    }

    [Fact]
    public async Task Workflow_attach_and_output_by_workflow_id()
    {
        var id = NewKey();
        var sent = await Client.SendAsync(Target.Workflow("Signup", id, "run"), "ada@example.com");
        Assert.StartsWith("inv_", sent.InvocationId, StringComparison.Ordinal);
        var notYet = await Assert.ThrowsAsync<TerminalException>(() => Client.GetOutputAsync<string>(InvocationRef.ByWorkflow("Signup", id)));
        Assert.Equal(470, notYet.Code);
        await Client.CallAsync(Target.Workflow("Signup", id, "confirm"), "1234");
        Assert.Equal("ada@example.com confirmed with 1234", await Client.AttachAsync<string>(InvocationRef.ByWorkflow("Signup", id)));
        Assert.Equal("ada@example.com confirmed with 1234", await Client.GetOutputAsync<string>(InvocationRef.ByWorkflow("Signup", id)));
    }

    [Fact]
    public async Task Awakeable_resolved_from_outside()
    {
        var (invocationId, awakeableId) = await StartWaiterAsync();
        await Client.ResolveAwakeableAsync(awakeableId, "opened");
        Assert.Equal("opened", await Client.AttachAsync<string>(InvocationRef.ById(invocationId)));
    }

    [Fact]
    public async Task Awakeable_rejected_from_outside()
    {
        var (invocationId, awakeableId) = await StartWaiterAsync();
        await Client.RejectAwakeableAsync(awakeableId, "door stuck");
        var error = await Assert.ThrowsAsync<TerminalException>(() => Client.AttachAsync<string>(InvocationRef.ById(invocationId)));
        Assert.Contains("door stuck", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_ingress_stays_an_HttpRequestException()
    {
        using var http = new HttpClient();
        var client = new KeelClient(http, new KeelClientOptions { IngressUrl = new Uri($"http://127.0.0.1:{FreePort.Next()}") });
        await Assert.ThrowsAsync<HttpRequestException>(() => client.CallAsync<string>(Target.Service("Greeter", "greet"), new Greeting("x", Mood.Calm)));
    }

    private async Task<(string InvocationId, string AwakeableId)> StartWaiterAsync()
    {
        var mailbox = NewKey();
        var sent = await Client.SendAsync(Target.Service("Waiter", "wait"), mailbox);
        string? awakeableId = null;
        await Eventually.UntilAsync(async () => (awakeableId = await Client.CallAsync<string?>(Target.Object("Mailbox", mailbox, "peek"))) is not null, Patience, "the awakeable id to be posted");
        return (sent.InvocationId, awakeableId!);
    }
}

public sealed class OnKeelServer(KeelServerFixture fixture) : ClientScenarios<KeelServerFixture>(fixture);

public sealed class OnRestateServer(RestateServerFixture fixture) : ClientScenarios<RestateServerFixture>(fixture);
