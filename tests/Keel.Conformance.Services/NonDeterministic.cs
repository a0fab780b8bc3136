using System.Collections.Concurrent;
using Keel.Sdk;

namespace Keel.Conformance.Services;

/// <summary>
/// Each attempt takes the other branch (a per-key counter in process memory), so the replay of a
/// later attempt differs from the journal: the SDK must detect the journal mismatch (570).
/// </summary>
[VirtualObject]
public sealed class NonDeterministic
{
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    private static bool Left(IObjectContext ctx, string handler) => Attempts.AddOrUpdate(handler + "/" + ctx.Key, 1, (_, n) => n + 1) % 2 == 1;

    [Handler]
    public async Task EitherSleepOrCall(IObjectContext ctx)
    {
        if (Left(ctx, "eitherSleepOrCall"))
        {
            await ctx.SleepAsync(TimeSpan.FromMilliseconds(100));
        }
        else
        {
            await ctx.CallAsync<long>(Target.Object("Counter", "abc", "get"));
        }

        await End(ctx);
    }

    [Handler]
    public async Task CallDifferentMethod(IObjectContext ctx)
    {
        await ctx.CallAsync<long>(Target.Object("Counter", "abc", Left(ctx, "callDifferentMethod") ? "get" : "reset"));
        await End(ctx);
    }

    [Handler]
    public async Task BackgroundInvokeWithDifferentTargets(IObjectContext ctx)
    {
        ctx.Send(Target.Object("Counter", "abc", Left(ctx, "backgroundInvokeWithDifferentTargets") ? "get" : "reset"));
        await End(ctx);
    }

    [Handler]
    public async Task SetDifferentKey(IObjectContext ctx)
    {
        ctx.Set(new StateKey<string>(Left(ctx, "setDifferentKey") ? "a" : "b"), "my-state");
        await End(ctx);
    }

    /// <summary>Sleep so the invocation suspends (and later replays), then count one success.</summary>
    private static async Task End(IObjectContext ctx)
    {
        await ctx.SleepAsync(TimeSpan.FromMilliseconds(100));
        ctx.Send(Target.Object("Counter", ctx.Key, "add"), 1L);
    }
}
