using System.Text.Json;
using Keel.Protocol.Manifest;

namespace Keel.Sdk.Tests;

public class DefinitionTests
{
    [Fact]
    public void Handler_names_are_camel_case_without_async_and_kinds_follow_the_context()
    {
        var counter = ServiceDefinition.For<CounterObject>();
        Assert.Equal("Counter", counter.Name);
        Assert.Equal(HandlerType.Exclusive, counter.Handlers["add"].Kind);
        Assert.Equal(HandlerType.Shared, counter.Handlers["get"].Kind);
        var signup = ServiceDefinition.For<Signup>();
        Assert.Equal(HandlerType.Workflow, signup.Handlers["run"].Kind);
        Assert.Equal(HandlerType.Shared, signup.Handlers["confirm"].Kind);
    }

    [Fact]
    public void Manifest_declares_protocol_range_mode_and_json_payloads()
    {
        var manifest = new ServiceRegistry().Add<Greeter>().Add<CounterObject>().BuildManifest(ProtocolMode.BidiStream);
        using var json = JsonDocument.Parse(manifest.ToJson());
        Assert.Equal("BIDI_STREAM", json.RootElement.GetProperty("protocolMode").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("minProtocolVersion").GetInt32());
        Assert.Equal(7, json.RootElement.GetProperty("maxProtocolVersion").GetInt32());
        var counter = json.RootElement.GetProperty("services")[0];
        Assert.Equal("VIRTUAL_OBJECT", counter.GetProperty("ty").GetString());
        Assert.Equal("application/json", counter.GetProperty("handlers")[0].GetProperty("input").GetProperty("contentType").GetString());
    }

    [VirtualObject]
    private sealed class SharedWriter
    {
        [Handler, Shared]
        public Task Write(IObjectContext ctx) => Task.CompletedTask;
    }

    [Service]
    private sealed class NoContext
    {
        [Handler]
        public Task<int> Add(int a, int b) => Task.FromResult(a + b);
    }

    [Service]
    private sealed class SyncResult
    {
        [Handler]
        public int Get(IContext ctx) => 1;
    }

    [Workflow]
    private sealed class NoRun
    {
        [Handler]
        public Task Click(ISharedWorkflowContext ctx) => Task.CompletedTask;
    }

    [Theory]
    [InlineData(typeof(SharedWriter), "cannot write state")]
    [InlineData(typeof(NoContext), "takes a context first")]
    [InlineData(typeof(SyncResult), "returns Task")]
    [InlineData(typeof(NoRun), "exactly one handler taking IWorkflowContext")]
    [InlineData(typeof(string), "has none of [Service]")]
    public void Invalid_definitions_fail_with_a_clear_message(Type type, string expected)
    {
        var error = Assert.Throws<InvalidServiceDefinitionException>(() => ServiceDefinition.For(type));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_cannot_confuse_a_key_with_a_handler()
    {
        var target = Target.Object("Counter", "Mary", "add");
        Assert.Equal(("Counter", "Mary", "add"), (target.ServiceName, target.Key, target.HandlerName));
        Assert.Null(Target.Service("Greeter", "greet").Key);
        Assert.Throws<ArgumentException>(() => Target.Service("Greeter", ""));
    }
}
