namespace Keel.Sdk.Tests;

/// <summary>
/// RunAsync with synchronous and asynchronous closures side by side. The declared types of the futures are
/// part of the test: they compile only if each closure binds to the overload named in its comment.
/// </summary>
[Service]
public sealed class SyncRuns
{
    [Handler]
    public async Task<string> Mixed(IContext ctx)
    {
        var trace = new List<string>();
        DurableFuture<int> value = ctx.RunAsync("value", () => 41 + 1);                                          // Func<T>
        DurableFuture<int> awaited = ctx.RunAsync("awaited", async () => { await Task.Yield(); return 7; });     // Func<Task<T>>, not Func<Task<int>> as T
        DurableFuture<int> token = ctx.RunAsync("token", ct => ct.CanBeCanceled ? 5 : -1);                      // Func<CancellationToken, T>
        DurableFuture action = ctx.RunAsync("action", () => trace.Add("action"));                               // Action
        DurableFuture tokenAction = ctx.RunAsync("tokenAction", ct => trace.Add("tokenAction"));                // Action<CancellationToken>
        DurableFuture asyncAction = ctx.RunAsync("asyncAction", async () => { await Task.Yield(); trace.Add("asyncAction"); });   // Func<Task>
        await DurableFuture.All(value, awaited, token, action, tokenAction, asyncAction);
        return $"{await value} {await awaited} {await token} {string.Join(",", trace)}";
    }

    /// <summary>An async void-looking lambda that throws after an await: bound to Func&lt;Task&gt;, the run fails; bound to Action it would report success and crash later.</summary>
    [Handler]
    public async Task AsyncActionThrows(IContext ctx) =>
        await ctx.RunAsync("late", async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("late failure");
        });

    /// <summary>A synchronous closure that throws is a retryable run failure like an async one.</summary>
    [Handler]
    public async Task<int> SyncThrows(IContext ctx) =>
        await ctx.RunAsync<int>("sync", () => throw new InvalidOperationException("sync failure"));

    /// <summary>A ValueTask result would be journaled instead of awaited: refused.</summary>
    [Handler]
    public async Task<int> ValueTaskResult(IContext ctx) =>
        await await ctx.RunAsync("vt", () => new ValueTask<int>(1));
}
