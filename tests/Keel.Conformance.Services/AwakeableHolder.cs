using Keel.Sdk;

namespace Keel.Conformance.Services;

[VirtualObject]
public sealed class AwakeableHolder
{
    private static readonly StateKey<string> Id = new("id");

    [Handler]
    public Task Hold(IObjectContext ctx, string id)
    {
        ctx.Set(Id, id);
        return Task.CompletedTask;
    }

    [Handler]
    public async Task<bool> HasAwakeable(IObjectContext ctx) => await ctx.GetAsync(Id) is not null;

    [Handler]
    public async Task Unlock(IObjectContext ctx, string payload)
    {
        var id = await ctx.GetAsync(Id) ?? throw new TerminalException("No awakeable is registered");
        ctx.ResolveAwakeable(id, payload);
        ctx.Clear(Id);
    }
}
