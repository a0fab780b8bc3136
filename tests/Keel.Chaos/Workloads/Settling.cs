using System.Collections.Concurrent;
using System.Diagnostics;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>What the workloads do after the heal with the requests left indeterminate.</summary>
public static class Settling
{
    /// <summary>
    /// Tries that many at once: a long cluster run leaves thousands, and a try may wait a whole operation timeout for an
    /// invocation that is still retrying; the workloads settle concurrently, so the server sees several times this.
    /// </summary>
    private const int AtOnce = 32;

    /// <summary>The "last answer" of an item the patience ran out before it was tried.</summary>
    public const string NotTried = "not tried before the patience ran out";

    /// <summary>
    /// Calls <paramref name="call"/> for each item (a new process for each try) until it is acknowledged, taking the
    /// items in turn, <see cref="AtOnce"/> at a time: an item that did not settle goes to the back, so every item is
    /// tried before any is tried again. Stops when everything settled or the <paramref name="patience"/> ran out (no
    /// item settled for its idle time, or its cap). Returns the items left with the last answer each had: the caller
    /// reports them as violations.
    /// </summary>
    public static async Task<IReadOnlyDictionary<T, string>> RetryUntilOkAsync<T>(
        string name, IReadOnlyCollection<T> items, OpHistory history, SettlingPatience patience, TimeSpan backOff, Func<T, int, Task<OpKind>> call)
        where T : notnull
    {
        var clock = Stopwatch.StartNew();
        var queue = new ConcurrentQueue<T>(items);
        var lastAnswer = new ConcurrentDictionary<T, string>();
        var settled = 0;
        long lastSettled = 0; // ticks of the clock
        TimeSpan SinceLast() => clock.Elapsed - TimeSpan.FromTicks(Interlocked.Read(ref lastSettled));
        bool OutOfPatience() => SinceLast() > patience.Idle || clock.Elapsed > patience.Cap;

        using var stopReporting = new CancellationTokenSource();
        var report = ReportAsync(name, items.Count, () => Volatile.Read(ref settled), SinceLast, lastAnswer, patience, stopReporting.Token);
        await Task.WhenAll(Enumerable.Range(0, Math.Min(AtOnce, items.Count)).Select(worker => Task.Run(async () =>
        {
            while (!OutOfPatience() && queue.TryDequeue(out var item))
            {
                var process = history.NewProcess();
                var from = history.Count;
                if (await call(item, process) == OpKind.Ok)
                {
                    lastAnswer.TryRemove(item, out _);
                    Interlocked.Increment(ref settled);
                    Interlocked.Exchange(ref lastSettled, clock.Elapsed.Ticks);
                    continue;
                }

                lastAnswer[item] = LastError(history, from, process);
                queue.Enqueue(item);
                await Task.Delay(backOff);
            }
        })));
        foreach (var item in queue)
        {
            // Never tried: the patience ran out first.
            lastAnswer.TryAdd(item, NotTried);
        }

        await stopReporting.CancelAsync();
        await report;
        patience.Progress?.WriteLine($"{DateTime.UtcNow:HH:mm:ss} settling {name}: {settled} of {items.Count} settled in {clock.Elapsed.TotalSeconds:0} s{Answers(lastAnswer)}");
        return lastAnswer.ToDictionary();
    }

    /// <summary>The error of the last completion <paramref name="process"/> recorded since <paramref name="from"/>.</summary>
    private static string LastError(OpHistory history, int from, int process) =>
        history.Since(from).LastOrDefault(o => o.Process == process && o.Kind != OpKind.Invoke) is { } last
            ? last.Error ?? last.Kind.ToString()
            : "no answer recorded";

    private static async Task ReportAsync<T>(string name, int total, Func<int> settled, Func<TimeSpan> sinceLast, ConcurrentDictionary<T, string> lastAnswer, SettlingPatience patience, CancellationToken stop)
        where T : notnull
    {
        if (patience.Progress is not { } progress)
        {
            return;
        }

        using var tick = new PeriodicTimer(patience.ReportEvery);
        try
        {
            while (await tick.WaitForNextTickAsync(stop))
            {
                progress.WriteLine($"{DateTime.UtcNow:HH:mm:ss} settling {name}: {settled()} of {total} settled, the last {sinceLast().TotalSeconds:0} s ago{Answers(lastAnswer)}");
            }
        }
        catch (OperationCanceledException)
        {
            // Settling is over.
        }
    }

    /// <summary>The most common last answers of the items not settled yet (the status and the start of the message).</summary>
    private static string Answers<T>(ConcurrentDictionary<T, string> lastAnswer)
        where T : notnull
    {
        var answers = lastAnswer.Values.GroupBy(a => a.Length <= 90 ? a : a[..90]).OrderByDescending(g => g.Count()).Take(4).Select(g => $"{g.Count()}× {g.Key}").ToList();
        return answers.Count == 0 ? "" : $"; still open, by last answer: {string.Join(" | ", answers)}";
    }
}
