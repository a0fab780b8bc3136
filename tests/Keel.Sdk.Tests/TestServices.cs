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
    public async Task<int> FlakyRun(IContext ctx) =>
        await ctx.RunAsync<int>("charge", () => throw new InvalidOperationException("gateway down"));

    [Handler]
    public async Task<int> FlakyRunOnce(IContext ctx) =>
        await ctx.RunAsync<int>("charge", () => throw new InvalidOperationException("gateway down"), new RetryPolicy { MaxAttempts = 1 });

    /// <summary>A journaled run failure is caught, then the handler waits: nothing to log on replay.</summary>
    [Handler]
    public async Task<string> CatchRunFailure(IContext ctx)
    {
        try
        {
            await ctx.RunAsync<int>("charge", () => throw new TerminalException("declined", 402));
        }
        catch (TerminalException)
        {
            await ctx.SleepAsync(TimeSpan.FromSeconds(1));
        }

        return "compensated";
    }

    [Handler]
    public Task<int> Length(IContext ctx, string text) => Task.FromResult(text.Length);

    [Handler]
    public Task<int> LengthOrZero(IContext ctx, string? text) => Task.FromResult(text?.Length ?? 0);

    [Handler]
    public Task<int> Twice(IContext ctx, int value) => Task.FromResult(value * 2);

    [Handler]
    public async Task<string> OffPumpNow(IContext ctx)
    {
        await Task.Delay(1).ConfigureAwait(false);
        var now = await ctx.NowAsync();
        return now.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
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

    [Handler]
    public async Task SetFromTaskRun(IObjectContext ctx) => await Task.Run(() => ctx.Set(Total, 1));
}

[Workflow]
public sealed class Signup
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx, string email) => await ctx.PromiseAsync<string>("confirmed") + email;

    [Handler]
    public async Task Confirm(ISharedWorkflowContext ctx, string code) => await ctx.ResolvePromiseAsync("confirmed", code);
}

/// <summary>Futures of mixed result types: a promise raced against a sleep, timeouts, void runs.</summary>
[Workflow]
public sealed class Approval
{
    [Handler]
    public async Task<string> Run(IWorkflowContext ctx)
    {
        var approval = ctx.PromiseAsync<bool>("approved");
        var timer = ctx.SleepAsync(TimeSpan.FromDays(1));
        var winner = await DurableFuture.Race(approval, timer);
        return winner == approval ? (await approval ? "approved" : "rejected") : "timed out";
    }

    [Handler, Shared]
    public async Task<string> WithTimeout(ISharedWorkflowContext ctx)
    {
        try
        {
            return await ctx.PromiseAsync<string>("approved").OrTimeout(TimeSpan.FromDays(1));
        }
        catch (DurableTimeoutException e)
        {
            return $"timeout {e.Code}";
        }
    }

    [Handler, Shared]
    public async Task FailingVoidRun(ISharedWorkflowContext ctx) =>
        await ctx.RunAsync("charge", () => Task.FromException(new InvalidOperationException("unused")));
}

/// <summary>State through typed keys only: a collection read with a default, and Clear by key.</summary>
[VirtualObject]
public sealed class Basket
{
    private static readonly StateKey<List<string>> Items = new("items");

    [Handler]
    public async Task<int> Add(IObjectContext ctx, string item)
    {
        var items = await ctx.GetAsync(Items, []);
        items.Add(item);
        ctx.Set(Items, items);
        return items.Count;
    }

    [Handler]
    public Task Empty(IObjectContext ctx)
    {
        ctx.Clear(Items);
        return Task.CompletedTask;
    }
}

public enum OrderStatus { Pending, Shipped }

public sealed record OrderView(string OrderId, OrderStatus Status);

/// <summary>Payloads shaped by the endpoint's JSON options.</summary>
[Service]
public sealed class Orders
{
    [Handler]
    public Task<OrderView> Ship(IContext ctx, OrderView order) => Task.FromResult(order with { Status = OrderStatus.Shipped });
}

[System.Text.Json.Serialization.JsonSerializable(typeof(OrderView))]
internal sealed partial class OrdersJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
