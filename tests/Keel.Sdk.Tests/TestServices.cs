namespace Keel.Sdk.Tests;

[Service]
public sealed class Greeter
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name) => Task.FromResult($"Hello {name}");

    [Handler]
    public Task Fail(IContext ctx) => throw new TerminalException("nope", 418, new Dictionary<string, string> { ["why"] = "teapot" });

    [Handler]
    public Task Crash(IContext ctx) => throw new InvalidOperationException("transient");

    /// <summary>Two branches interleave; the single-threaded pump makes their journal order fixed.</summary>
    [Handler]
    public async Task<string> Branches(IContext ctx)
    {
        async Task<string> Branch(string name)
        {
            await Task.Yield();
            ctx.Send(Target.Service("Greeter", "greet"), name + "-1");
            await Task.Yield();
            ctx.Send(Target.Service("Greeter", "greet"), name + "-2");
            return name;
        }

        var results = await Task.WhenAll(Branch("a"), Branch("b"));
        return string.Join(",", results);
    }

    [Handler]
    public async Task<int> LogAround(IContext ctx)
    {
        Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(ctx.Logger, "before");
        var value = await ctx.RunAsync("answer", () => Task.FromResult(1));
        Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(ctx.Logger, "after");
        return value;
    }

    [Handler]
    public async Task<int> SleepThenRun(IContext ctx)
    {
        await ctx.SleepAsync(TimeSpan.FromSeconds(1));
        return await ctx.RunAsync("answer", () => Task.FromResult(42));
    }
}

[VirtualObject(Name = "Counter")]
public sealed class CounterObject
{
    private static readonly StateKey<int> Total = new("total");

    [Handler]
    public async Task<int> AddAsync(IObjectContext ctx, int delta)
    {
        var total = await ctx.GetAsync(Total) + delta;
        ctx.Set(Total, total);
        return total;
    }

    [Handler, Shared]
    public async Task<int> Get(ISharedObjectContext ctx) => await ctx.GetAsync(Total);
}

[Workflow]
public sealed class Signup
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string email) => await ctx.PromiseAsync<string>("confirmed") + email;

    [Handler]
    public async Task Confirm(ISharedWorkflowContext ctx, string code) => await ctx.ResolvePromiseAsync("confirmed", code);
}
