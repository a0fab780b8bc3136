namespace Keel.TestSupport;

/// <summary>Polls a condition until it holds: tests wait on conditions, never on fixed sleeps.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
            {
                last = e;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out after {timeout} waiting for: {what}", last);
    }
}
