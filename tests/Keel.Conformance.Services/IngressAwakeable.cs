using Keel.Sdk;

namespace Keel.Conformance.Services;

/// <summary>
/// Keel test helper (not in the contract): waits on an awakeable whose id a test reads back and
/// completes through the ingress's <c>/restate/awakeables/{id}/resolve|reject</c>.
/// </summary>
[VirtualObject]
public sealed class IngressAwakeable
{
    private static readonly StateKey<string> Id = new("id");

    [Handler]
    public async Task<string> Await(IObjectContext ctx)
    {
        var awakeable = ctx.Awakeable<string>();
        ctx.Set(Id, awakeable.Id);
        return await awakeable.Future;
    }

    [Handler, Shared]
    public async Task<string> GetId(ISharedObjectContext ctx) => await ctx.GetAsync(Id, string.Empty);
}
