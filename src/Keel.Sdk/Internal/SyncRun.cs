namespace Keel.Sdk.Internal;

/// <summary>Guards the synchronous <c>RunAsync</c> overloads against closures whose result is itself awaitable.</summary>
internal static class SyncRun
{
    /// <summary>
    /// A closure returning a <see cref="ValueTask"/> binds to the synchronous overload (only Task has an async
    /// one): its result would be journaled as a task, not awaited. Refused at once, saying what to write.
    /// </summary>
    public static void RejectAwaitable(Type result, string name)
    {
        if (result == typeof(ValueTask) || (result.IsGenericType && result.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            throw new ArgumentException(
                $"ctx.RunAsync(\"{name}\", …): the closure returns a {result.Name}, which would be journaled instead of awaited; " +
                "write an async closure that awaits it: ctx.RunAsync(name, async () => await …).");
        }
    }
}
