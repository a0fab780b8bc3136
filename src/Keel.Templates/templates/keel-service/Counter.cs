using Keel.Sdk;

namespace KeelService;

/// <summary>A counter per key: calls for one key run one at a time, and its total survives restarts.</summary>
[VirtualObject]
public sealed class Counter
{
    private static readonly StateKey<long> Total = new("total");

    /// <summary>Adds to the total: <c>POST /Counter/{key}/add</c> with a number.</summary>
    [Handler]
    public async Task<long> Add(IObjectContext ctx, long delta)
    {
        var total = await ctx.GetAsync(Total) + delta;   // journaled: a retry never double-counts
        ctx.Set(Total, total);
        return total;
    }

    /// <summary>Reads the total without taking the key's lock.</summary>
    [Handler, Shared]
    public async Task<long> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Total);
}
