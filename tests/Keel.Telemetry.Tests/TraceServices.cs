using Keel.Sdk;
using Microsoft.Extensions.Logging;

namespace Keel.Telemetry.Tests;

/// <summary>A → B → C: the chain one ingress request runs through, so one trace must show it (handler names are camel-cased).</summary>
[Service]
public sealed class TraceA
{
    [Handler]
    public async Task<string> Start(IContext ctx, string input) =>
        "A>" + await ctx.CallAsync<string>(Target.Service(nameof(TraceB), "relay"), input);
}

[Service]
public sealed class TraceB
{
    [Handler]
    public async Task<string> Relay(IContext ctx, string input)
    {
        var step = await ctx.RunAsync("step", () => Task.FromResult(input.ToUpperInvariant()));
        return "B>" + await ctx.CallAsync<string>(Target.Service(nameof(TraceC), "leaf"), step);
    }
}

[Service]
public sealed class TraceC
{
    [Handler]
    public Task<string> Leaf(IContext ctx, string input)
    {
        ctx.Logger.LogInformation("leaf got {Input}", input);
        return Task.FromResult("C:" + input);
    }
}

/// <summary>Fails every attempt (a retryable error), so the server logs about the invocation.</summary>
[Service]
public sealed class TraceFlaky
{
    [Handler]
    public Task<string> Fail(IContext ctx) => throw new InvalidOperationException("flaky on purpose");
}
