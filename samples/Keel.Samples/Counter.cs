using Keel.Sdk;

namespace Keel.Samples;

/// <summary>Seed: a virtual object. One exclusive handler at a time per key, with durable K/V state.</summary>
[VirtualObject]
public sealed class Counter
{
    private static readonly StateKey<long> Total = new("total");

    [Handler]
    public async Task<long> Add(IObjectContext ctx, long delta)
    {
        var total = await ctx.GetAsync(Total) + delta;
        ctx.Set(Total, total);
        return total;
    }

    [Handler, Shared]
    public async Task<long> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Total);
}
