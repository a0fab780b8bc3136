using System.Diagnostics;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>What the workloads do after the heal with the requests left indeterminate.</summary>
internal static class Settling
{
    /// <summary>Retries that many at once: a long run can leave thousands, more than one at a time settles in its patience.</summary>
    private const int AtOnce = 8;

    /// <summary>
    /// Calls <paramref name="call"/> for each item (with a process of its own, a new one after each indeterminate try)
    /// until it is acknowledged or <paramref name="patience"/> has run out, a few items at a time.
    /// </summary>
    public static async Task RetryUntilOkAsync<T>(IEnumerable<T> items, OpHistory history, TimeSpan patience, TimeSpan backOff, Func<T, int, Task<OpKind>> call)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = AtOnce }, async (item, _) =>
        {
            var process = history.NewProcess();
            while (clock.Elapsed < patience && await call(item, process) != OpKind.Ok)
            {
                process = history.NewProcess();
                await Task.Delay(backOff);
            }
        });
    }
}
