using Keel.Sdk;

namespace Keel.Conformance.Services;

public sealed record CounterUpdateResponse(long OldValue, long NewValue);

[VirtualObject]
public sealed class Counter
{
    private static readonly StateKey<long> State = new("counter");

    [Handler]
    public async Task<CounterUpdateResponse> Add(IObjectContext ctx, long value)
    {
        var old = await ctx.GetAsync(State);
        ctx.Set(State, old + value);
        return new CounterUpdateResponse(old, old + value);
    }

    [Handler]
    public async Task AddThenFail(IObjectContext ctx, long value)
    {
        var old = await ctx.GetAsync(State);
        ctx.Set(State, old + value);
        throw new TerminalException(ctx.Key);
    }

    [Handler, Shared]
    public async Task<long> Get(ISharedObjectContext ctx) => await ctx.GetAsync(State);

    [Handler]
    public Task Reset(IObjectContext ctx)
    {
        ctx.Clear(State);
        return Task.CompletedTask;
    }
}
