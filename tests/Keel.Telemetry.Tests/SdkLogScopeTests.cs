using Keel.TestSupport;

namespace Keel.Telemetry.Tests;

/// <summary>While a handler runs, the endpoint's logs (the SDK's and ctx.Logger's) carry the invocation id in their scope.</summary>
[Collection(TracedSystem.Collection)]
public sealed class SdkLogScopeTests(TracedSystem system)
{
    [Fact]
    public async Task Handler_logs_carry_the_invocation_id_in_their_scope()
    {
        using var ingress = new IngressClient(system.Server.IngressUrl);
        var response = await ingress.CallAsync("TraceC/leaf", "scoped");
        Assert.Equal("C:scoped", response.Json.GetString());

        var line = system.EndpointLogs.Lines.Single(l => l.Message == "leaf got scoped");
        Assert.Equal("Keel.TraceC", line.Category);
        Assert.Equal(response.InvocationId, line.Scope.GetValueOrDefault("InvocationId"));
    }
}
