using Keel.Sdk;

namespace Keel.Conformance.Services;

public sealed record ProxyRequest(string ServiceName, string? VirtualObjectKey, string HandlerName, int[] Message, int? DelayMillis, string? IdempotencyKey);

public sealed record ManyCallRequest(ProxyRequest ProxyRequest, bool OneWayCall, bool AwaitAtTheEnd);

/// <summary>Generic calls with raw bytes in and out; the contract encodes bytes as JSON number arrays.</summary>
[Service]
public sealed class Proxy
{
    [Handler]
    public async Task<int[]> Call(IContext ctx, ProxyRequest request)
    {
        var response = await ctx.CallAsync<byte[]>(TargetOf(request), Bytes(request), Options(request));
        return response.Select(b => (int)b).ToArray();
    }

    [Handler]
    public async Task<string> OneWayCall(IContext ctx, ProxyRequest request)
    {
        var handle = ctx.Send(TargetOf(request), Bytes(request), Delay(request), Options(request));
        return await handle.InvocationId;
    }

    [Handler]
    public async Task ManyCalls(IContext ctx, List<ManyCallRequest> requests)
    {
        var toAwait = new List<DurableFuture<byte[]>>();
        foreach (var r in requests)
        {
            if (r.OneWayCall)
            {
                ctx.Send(TargetOf(r.ProxyRequest), Bytes(r.ProxyRequest), Delay(r.ProxyRequest), Options(r.ProxyRequest));
                continue;
            }

            var call = ctx.CallAsync<byte[]>(TargetOf(r.ProxyRequest), Bytes(r.ProxyRequest), Options(r.ProxyRequest));
            if (r.AwaitAtTheEnd)
            {
                toAwait.Add(call);
            }
        }

        foreach (var call in toAwait)
        {
            await call;
        }
    }

    private static Target TargetOf(ProxyRequest r) => r.VirtualObjectKey is { } key
        ? Target.Object(r.ServiceName, key, r.HandlerName)
        : Target.Service(r.ServiceName, r.HandlerName);

    private static byte[] Bytes(ProxyRequest r) => r.Message.Select(b => (byte)b).ToArray();

    private static TimeSpan? Delay(ProxyRequest r) => r.DelayMillis is { } ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static CallOptions? Options(ProxyRequest r) => r.IdempotencyKey is { } key ? new CallOptions { IdempotencyKey = key } : null;
}
