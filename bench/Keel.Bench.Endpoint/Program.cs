using Keel.Sdk;
using Keel.Sdk.AspNetCore;

await KeelEndpoint.RunAsync(args, k => k.AddService<CsNoop>().AddService<CsCounter>().AddService<CsProxy>());

[Service]
public sealed class CsNoop
{
    [Handler]
    public Task<string> Echo(IContext ctx, string input) => Task.FromResult(input);
}

[VirtualObject]
public sealed class CsCounter
{
    private static readonly StateKey<long> Total = new("total");

    [Handler]
    public async Task<long> Add(IObjectContext ctx, long delta)
    {
        var total = await ctx.GetAsync(Total) + delta;
        ctx.Set(Total, total);
        return total;
    }
}

[Service]
public sealed class CsProxy
{
    [Handler]
    public async Task<string> Call(IContext ctx, string input) => await ctx.Call<string>(Target.Service("CsNoop", "echo"), input);
}
