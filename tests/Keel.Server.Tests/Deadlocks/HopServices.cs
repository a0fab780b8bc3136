using Keel.Sdk;

namespace Keel.Server.Tests.Deadlocks;

/// <summary>
/// <c>hop(["HopB", "HopA"])</c> on HopA/k calls HopB/k's hop with the rest of the path, which calls HopA/k: that last
/// call queues behind HopA/k's lock, held by the first invocation, which waits for HopB/k. A deadlock.
/// </summary>
[VirtualObject]
public sealed class HopA
{
    [Handler("hop")]
    public Task<string> Hop(IObjectContext ctx, string[] path) => HopServices.Next(ctx, path, "HopA");

    [Handler("ping")]
    public Task<string> Ping(IObjectContext ctx) => Task.FromResult("HopA pong");

    /// <summary>A slow holder: keeps the key while it sleeps (suspended, waiting on nothing but time).</summary>
    [Handler("hold")]
    public async Task<string> Hold(IObjectContext ctx, int millis)
    {
        await ctx.SleepAsync(TimeSpan.FromMilliseconds(millis));
        return "held";
    }
}

/// <summary>The other half of <see cref="HopA"/>'s deadlock.</summary>
[VirtualObject]
public sealed class HopB
{
    [Handler("hop")]
    public Task<string> Hop(IObjectContext ctx, string[] path) => HopServices.Next(ctx, path, "HopB");

    [Handler("ping")]
    public Task<string> Ping(IObjectContext ctx) => Task.FromResult("HopB pong");

    /// <summary>Fails every attempt (not terminally): retried, then paused, holding the key all along.</summary>
    [Handler("fail")]
    public Task<string> Fail(IObjectContext ctx, string reason) => throw new InvalidOperationException($"failing on purpose: {reason}");
}

internal static class HopServices
{
    /// <summary>Calls the first object of the path (<c>Service</c>: the same key, or <c>Service/key</c>) with the rest; at its end, answers.</summary>
    public static async Task<string> Next(IObjectContext ctx, string[] path, string self)
    {
        if (path.Length == 0)
        {
            return $"{self} reached";
        }

        var next = path[0].Split('/');
        return await ctx.CallAsync<string>(Target.Object(next[0], next.Length > 1 ? next[1] : ctx.Key, "hop"), path[1..]);
    }
}
