using Keel.Sdk;

namespace Keel.Conformance.Services;

public sealed record SignalRequest(string InvocationId, string SignalName, string? Value, string? Reason);

[Service]
public sealed class TestUtilsService
{
    [Handler]
    public Task<string> Echo(IContext ctx, string input) => Task.FromResult(input);

    [Handler]
    public Task<string> UppercaseEcho(IContext ctx, string input) => Task.FromResult(input.ToUpperInvariant());

    [Handler]
    public Task<Dictionary<string, string>> EchoHeaders(IContext ctx) =>
        Task.FromResult(ctx.Headers.ToDictionary(h => h.Key, h => h.Value));

    [Handler]
    public Task<byte[]> RawEcho(IContext ctx, byte[] input) => Task.FromResult(input);

    [Handler]
    public async Task<int> CountExecutedSideEffects(IContext ctx, int increments)
    {
        var counter = 0;
        for (var i = 0; i < increments; i++)
        {
            await ctx.RunAsync("count", () => { counter++; return Task.CompletedTask; });
        }

        return counter;
    }

    [Handler]
    public Task CancelInvocation(IContext ctx, string invocationId)
    {
        ctx.CancelInvocation(invocationId);
        return Task.CompletedTask;
    }

    [Handler]
    public Task ResolveSignal(IContext ctx, SignalRequest request)
    {
        ctx.ResolveSignal(request.InvocationId, request.SignalName, request.Value);
        return Task.CompletedTask;
    }

    [Handler]
    public Task RejectSignal(IContext ctx, SignalRequest request)
    {
        ctx.RejectSignal(request.InvocationId, request.SignalName, request.Reason ?? "rejected");
        return Task.CompletedTask;
    }
}
