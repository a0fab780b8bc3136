using Keel.Sdk;

namespace Keel.Client.Tests;

/// <summary>The generated ingress clients (<c>…IngressClient</c>) over Keel.Client, once per server.</summary>
public abstract class TypedClientScenarios<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ClientFixture
{
    private IKeelClient Client => fixture.Client;

    private static string NewKey() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Typed_service_call_and_terminal_failure()
    {
        var greeter = Client.Service<GreeterIngressClient>();
        Assert.Equal("Hello Ada (Calm)", await greeter.GreetAsync(new Greeting("Ada", Mood.Calm)));
        var error = await Assert.ThrowsAsync<TerminalException>(() => greeter.FailAsync("typed failure"));
        Assert.Equal((418, "typed failure"), (error.Code, error.Message));
    }

    [Fact]
    public async Task Typed_object_call_send_and_delayed_send()
    {
        var key = NewKey();
        var counter = Client.Object<ClientCounterIngressClient>(key);
        Assert.Equal(1, await counter.AddAsync(1));
        var sent = await counter.Send().AddAsync(10);
        Assert.Equal(11, await Client.AttachAsync<long>(InvocationRef.ById(sent.InvocationId)));
        var delayed = await counter.Send(TimeSpan.FromMilliseconds(500)).AddAsync(100);
        Assert.Equal(111, await Client.AttachAsync<long>(InvocationRef.ById(delayed.InvocationId)));
        Assert.Equal(111, await counter.GetAsync());
    }

    [Fact]
    public async Task Typed_idempotent_call()
    {
        var counter = Client.Object<ClientCounterIngressClient>(NewKey());
        var once = new IngressCallOptions { IdempotencyKey = NewKey() };
        Assert.Equal(3, await counter.AddAsync(3, once));
        Assert.Equal(3, await counter.AddAsync(3, once));
        Assert.Equal(3, await counter.GetAsync());
    }

    [Fact]
    public async Task Typed_workflow_run_and_shared_handler()
    {
        var id = NewKey();
        var signup = Client.Workflow<SignupIngressClient>(id);
        await signup.Send().RunAsync("bo@example.com");
        await signup.ConfirmAsync("42");
        Assert.Equal("bo@example.com confirmed with 42", await Client.AttachAsync<string>(InvocationRef.ByWorkflow("Signup", id)));
        Assert.Equal("bo@example.com confirmed with 42", await Client.GetOutputAsync<string>(InvocationRef.ByWorkflow("Signup", id)));
        // A workflow runs once per id: running it again is a terminal error on both servers.
        var again = await Assert.ThrowsAsync<TerminalException>(() => signup.RunAsync("bo@example.com"));
        Assert.Contains("already invoked", again.Message, StringComparison.Ordinal);
    }
}

public sealed class TypedOnKeelServer(KeelServerFixture fixture) : TypedClientScenarios<KeelServerFixture>(fixture);

public sealed class TypedOnRestateServer(RestateServerFixture fixture) : TypedClientScenarios<RestateServerFixture>(fixture);
