using Keel.Sdk;

namespace Keel.Chaos.Services;

/// <summary>
/// A grow-only set per key, for the set-full checker. <c>add</c> appends without looking for the element first,
/// on purpose: an add that ran twice (a retry the server failed to deduplicate) shows as a duplicate in the
/// next read instead of being hidden.
/// </summary>
[VirtualObject]
public sealed class ChaosSet
{
    private static readonly StateKey<List<long>> Elements = new("elements");

    [Handler]
    public async Task Add(IObjectContext ctx, long element)
    {
        var elements = await ctx.GetAsync(Elements, []);
        elements.Add(element);
        ctx.Set(Elements, elements);
    }

    /// <summary>Shared: reads run beside the adds, from the state committed when the read starts.</summary>
    [Handler, Shared]
    public async Task<List<long>> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Elements, []);
}
