using System.Text.Json.Serialization;
using Keel.Sdk;

namespace Keel.Conformance.Services;

[JsonConverter(typeof(JsonStringEnumConverter<BlockingOperation>))]
public enum BlockingOperation
{
    [JsonStringEnumMemberName("CALL")] Call,
    [JsonStringEnumMemberName("SLEEP")] Sleep,
    [JsonStringEnumMemberName("AWAKEABLE")] Awakeable,
}

[VirtualObject]
public sealed class CancelTestRunner
{
    private static readonly StateKey<bool> Canceled = new("canceled");

    [Handler]
    public async Task StartTest(IObjectContext ctx, BlockingOperation operation)
    {
        try
        {
            await ctx.Object<CancelTestBlockingServiceClient>(ctx.Key).BlockAsync(operation);
        }
        catch (TerminalException e) when (e.Code == TerminalException.CancelledCode)
        {
            ctx.Set(Canceled, true);
        }
    }

    [Handler]
    public async Task<bool> VerifyTest(IObjectContext ctx) => await ctx.GetAsync(Canceled);
}

[VirtualObject]
public sealed class CancelTestBlockingService
{
    [Handler]
    public async Task Block(IObjectContext ctx, BlockingOperation operation)
    {
        var awakeable = ctx.Awakeable<string>();
        await ctx.Object<AwakeableHolderClient>(ctx.Key).HoldAsync(awakeable.Id);
        await awakeable.Future;
        switch (operation)
        {
            case BlockingOperation.Call:
                // Deliberate deadlock: this call queues behind the lock this invocation holds.
                await ctx.CallAsync(Target.Object("CancelTestBlockingService", ctx.Key, "block"), operation);
                break;
            case BlockingOperation.Sleep:
                await ctx.SleepAsync(TimeSpan.FromDays(1024));
                break;
            case BlockingOperation.Awakeable:
                await ctx.Awakeable<string>().Future;
                break;
        }
    }

    [Handler]
    public Task IsUnlocked(IObjectContext ctx) => Task.CompletedTask;
}

[VirtualObject]
public sealed class KillTestRunner
{
    [Handler]
    public async Task StartCallTree(IObjectContext ctx) =>
        await ctx.Object<KillTestSingletonClient>(ctx.Key).RecursiveCallAsync();
}

[VirtualObject]
public sealed class KillTestSingleton
{
    [Handler]
    public async Task RecursiveCall(IObjectContext ctx)
    {
        var awakeable = ctx.Awakeable<string>();
        ctx.Object<AwakeableHolderClient>(ctx.Key).Send().Hold(awakeable.Id);
        await awakeable.Future;
        await ctx.CallAsync(Target.Object("KillTestSingleton", ctx.Key, "recursiveCall"));
    }

    [Handler]
    public Task IsUnlocked(IObjectContext ctx) => Task.CompletedTask;
}
