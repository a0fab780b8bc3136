using System.Collections.Concurrent;
using System.Diagnostics;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>
/// Grow-only sets (the ChaosSet virtual object): clients add unique elements and now and then read a set.
/// Every add carries an idempotency key derived from its element, so after an indeterminate add the element can
/// be added again safely: if the first attempt was accepted the retry attaches to it, if it was not the retry
/// makes it. Either way the element must end up in the set exactly once, which set-full checks (a retry is a
/// second add of the same element: present at most once, and present if any attempt was acknowledged).
/// After the heal every indeterminate add is retried until acknowledged (an accepted invocation must complete),
/// then each set is read once more: the final reads the checker compares everything with.
/// </summary>
public sealed class SetWorkload(WorkloadOptions options) : IWorkload
{
    private const int ReadOneIn = 8;
    private readonly string[] _keys = [.. Enumerable.Range(0, options.Keys).Select(i => $"set-{options.Seed}-{i}")];
    private readonly ConcurrentDictionary<(string Key, long Element), bool> _unresolved = new();
    private IReadOnlyDictionary<(string Key, long Element), string> _lastAnswers = new Dictionary<(string Key, long Element), string>();

    public string Name => "set";

    public Task RunAsync(OpHistory history, CancellationToken stop) =>
        ClientLoop.RunAsync(options, history, Name, stop, (caller, client, random, i, process) =>
        {
            var key = _keys[random.Next(_keys.Length)];
            return random.Next(ReadOneIn) == 0
                ? ReadAsync(caller, history, process, key)
                : AddAsync(caller, history, process, key, ((client + 1) * 1_000_000L) + i);
        });

    private async Task<OpKind> AddAsync(IngressCaller caller, OpHistory history, int process, string key, long element)
    {
        var invoke = history.Invoke(process, "add", key, element);
        var outcome = await caller.CallAsync($"/ChaosSet/{key}/add", element, idempotencyKey: $"add-{element}");
        history.Complete(invoke, outcome.Kind, error: outcome.Error);
        _unresolved.Note(outcome.Kind, (key, element), true);

        return outcome.Kind;
    }

    private static async Task<OpKind> ReadAsync(IngressCaller caller, OpHistory history, int process, string key)
    {
        var invoke = history.Invoke(process, "read", key, null);
        var outcome = await caller.CallAsync($"/ChaosSet/{key}/get", null);
        var elements = outcome.Kind == OpKind.Ok ? outcome.Body!.Value.EnumerateArray().Select(e => e.GetInt64()).ToList() : null;
        history.Complete(invoke, outcome.Kind, elements, outcome.Error);
        return outcome.Kind;
    }

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        var clock = Stopwatch.StartNew();
        var process = history.NewProcess();
        _lastAnswers = await Settling.RetryUntilOkAsync(Name, _unresolved.Keys.OrderBy(k => k.Key, StringComparer.Ordinal).ThenBy(k => k.Element).ToList(), history, patience, options.BackOff,
            (add, retrier) => AddAsync(caller, history, retrier, add.Key, add.Element));

        // The final reads have a patience of their own: the retries may have used all of theirs.
        clock.Restart();
        foreach (var key in _keys)
        {
            while (clock.Elapsed < patience.Idle && await ReadAsync(caller, history, process, key) != OpKind.Ok)
            {
                process = history.NewProcess();
                await Pause(CancellationToken.None);
            }
        }
    }

    public bool Owns(string? key) => key is not null && _keys.Contains(key);

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var mine = operations.Where(o => o.Key is not null && _keys.Contains(o.Key)).ToList();
        var unresolved = _unresolved.Keys.Select(k => $"add {k.Element} to {k.Key} still indeterminate after the heal (last answer: {_lastAnswers.GetValueOrDefault(k, "none")})").Order(StringComparer.Ordinal).ToList();
        var finalReads = _keys.Where(k => !mine.Any(o => o.Key == k && o.F == "read" && o.IsOk)).Select(k => $"no read of {k} succeeded").ToList();
        return
        [
            SetFullChecker.Check(mine),
            CheckResult.From("set: every accepted add completed after the heal", [.. unresolved, .. finalReads]),
        ];
    }

    private Task Pause(CancellationToken stop) => Task.Delay(options.BackOff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
}
