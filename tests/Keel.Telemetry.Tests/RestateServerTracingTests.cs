using Keel.TestSupport;

namespace Keel.Telemetry.Tests;

/// <summary>Keel.Sdk with tracing on, behind the official restate-server: whatever trace headers it sends, handlers run and are traced.</summary>
[Collection(TracedSystem.Collection)]
public sealed class RestateServerTracingTests(TracedSystem system)
{
    [Fact]
    public async Task Handlers_behind_restate_server_run_and_each_attempt_has_a_handler_span()
    {
        await using var restate = await RestateServerProcess.StartAsync(new RestateServerOptions());
        using (var admin = new AdminClient(restate.AdminUrl))
        {
            await admin.RegisterDeploymentAsync(system.EndpointUrl);
        }

        using var ingress = new IngressClient(restate.IngressUrl);
        var response = await ingress.CallAsync("TraceA/start", "r");
        Assert.Equal("A>B>C:R", response.Json.GetString());

        // restate-server's own context (or none) is the parent: the SDK spans exist and name the invocations.
        await Eventually.UntilAsync(
            () => Task.FromResult(system.AllSpans().Any(s => s.DisplayName == "handler TraceA/start" && (string?)s.GetTagItem("keel.invocation.id") == response.InvocationId)),
            TimeSpan.FromSeconds(30), "the handler span of the invocation run by restate-server");
    }
}
