using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>
/// A request that performs one side effect outside Keel, for the exactly-once checker. The effect is a journaled
/// run that writes to <see cref="EffectLedger"/> under an idempotency key of its own: this invocation's id. A run
/// may execute more than once (the endpoint or the server dies after the effect, before its result is
/// journaled), which the ledger absorbs by that key, as a real payment or e-mail service would; what must not
/// happen is the same request (one ingress idempotency key) running as two invocations, which shows as one
/// request id under two keys.
/// </summary>
[Service]
public sealed class ChaosEffects
{
    [Handler]
    public async Task Request(IContext ctx, string requestId)
    {
        var effectKey = ctx.InvocationId;
        await ctx.RunAsync("effect", () => EffectLedger.Record(requestId, effectKey));
    }
}
