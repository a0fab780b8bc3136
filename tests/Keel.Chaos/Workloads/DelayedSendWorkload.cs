using System.Collections.Concurrent;
using System.Diagnostics;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>A delayed send as recorded in the history: the alarm's id and its delay.</summary>
public sealed record ScheduleArgs(string Id, long DelayMs);

/// <summary>
/// Delayed sends (durable timers): each client request asks ChaosScheduler to send one alarm to a ChaosAlarms key
/// with a delay, with the alarm's id as its argument and ingress idempotency key; the alarm records its due time and
/// the time it ran, both by the endpoint's journaled clock. After the heal every indeterminate request is retried
/// with its key until acknowledged, then each key is read until every acknowledged alarm has run (the longest delay
/// included), and the delayed-send checker judges the final lists: once each, never early, none lost.
/// </summary>
public sealed class DelayedSendWorkload(WorkloadOptions options) : IWorkload
{
    private readonly string[] _keys = [.. Enumerable.Range(0, options.Keys).Select(i => $"alarms-{options.Seed}-{i}")];
    private readonly ConcurrentDictionary<string, (string Key, long DelayMs)> _unresolved = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<KeyValuePair<string, (string Key, long DelayMs)>, string> _lastAnswers = new Dictionary<KeyValuePair<string, (string Key, long DelayMs)>, string>();

    public string Name => "delayed";

    /// <summary>The shortest and the longest delay asked for; a fault often lands while timers are pending.</summary>
    public TimeSpan MinDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The server's wall clock jumps forward in this campaign: alarms may then run before their due time by the endpoint's clock.</summary>
    public bool ClockJumps { get; init; }

    public Task RunAsync(OpHistory history, CancellationToken stop) =>
        ClientLoop.RunAsync(options, history, Name, stop, (caller, client, random, i, process) =>
        {
            var delay = (long)(MinDelay.TotalMilliseconds + ((MaxDelay - MinDelay).TotalMilliseconds * random.NextDouble()));
            return ScheduleAsync(caller, history, process, _keys[random.Next(_keys.Length)], $"t-{options.Seed}-{client}-{i}", delay);
        });

    private async Task<OpKind> ScheduleAsync(IngressCaller caller, OpHistory history, int process, string key, string id, long delayMs)
    {
        var invoke = history.Invoke(process, "schedule", key, new ScheduleArgs(id, delayMs));
        var outcome = await caller.CallAsync("/ChaosScheduler/schedule", new { id, key, delayMs }, idempotencyKey: id);
        history.Complete(invoke, outcome.Kind, error: outcome.Error);
        _unresolved.Note(outcome.Kind, id, (key, delayMs));

        return outcome.Kind;
    }

    private static async Task<(OpKind Kind, List<AlarmRun>? Runs)> ReadAsync(IngressCaller caller, OpHistory history, int process, string key)
    {
        var invoke = history.Invoke(process, "read", key, null);
        var outcome = await caller.CallAsync($"/ChaosAlarms/{key}/get", null);
        var runs = outcome is { Kind: OpKind.Ok, Body: { } body }
            ? body.EnumerateArray().Select(a => new AlarmRun(a.GetProperty("id").GetString()!, key, a.GetProperty("due").GetDateTimeOffset(), a.GetProperty("fired").GetDateTimeOffset())).ToList()
            : null;
        history.Complete(invoke, outcome.Kind, runs, outcome.Error);
        return (outcome.Kind, runs);
    }

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        var clock = Stopwatch.StartNew();
        var process = history.NewProcess();
        _lastAnswers = await Settling.RetryUntilOkAsync(Name, _unresolved.OrderBy(u => u.Key, StringComparer.Ordinal).ToList(), history, patience, options.BackOff,
            (alarm, retrier) => ScheduleAsync(caller, history, retrier, alarm.Value.Key, alarm.Key, alarm.Value.DelayMs));

        // The final reads have a patience of their own: the retries may have used all of theirs.
        clock.Restart();
        // The alarms are delayed: acknowledged ones may not be due yet. Read until they have all run.
        var acknowledged = Scheduled(Operations.Pair(history.Ops)).Where(s => s.Outcome == OpKind.Ok).ToList();
        foreach (var key in _keys)
        {
            var want = acknowledged.Where(s => s.Key == key).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            while (clock.Elapsed < patience.Idle + MaxDelay)
            {
                var (kind, runs) = await ReadAsync(caller, history, process, key);
                if (kind == OpKind.Info)
                {
                    process = history.NewProcess();
                }

                if (runs is not null && want.IsSubsetOf(runs.Select(r => r.Id)))
                {
                    break;
                }

                await Task.Delay(options.BackOff);
            }
        }
    }

    /// <summary>Each alarm asked for, once, with the best outcome any of its requests had (ok over info over fail).</summary>
    private IEnumerable<ScheduledAlarm> Scheduled(IReadOnlyList<Operation> operations) =>
        operations.Where(o => o.F == "schedule" && o.Key is not null && _keys.Contains(o.Key))
            .GroupBy(o => ((ScheduleArgs)o.Argument!).Id, StringComparer.Ordinal)
            .Select(g => new ScheduledAlarm(g.Key, g.First().Key!, g.Any(o => o.IsOk) ? OpKind.Ok : g.Any(o => o.IsIndeterminate) ? OpKind.Info : OpKind.Fail));

    public bool Owns(string? key) => key is not null && _keys.Contains(key);

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var runs = new List<AlarmRun>();
        var problems = new List<string>();
        foreach (var key in _keys)
        {
            // The last successful read of each key is the final state (reads after the heal, until every alarm ran).
            if (operations.LastOrDefault(o => o.Key == key && o.F == "read" && o.IsOk) is { Result: List<AlarmRun> read })
            {
                runs.AddRange(read);
            }
            else
            {
                problems.Add($"no read of {key} succeeded");
            }
        }

        problems.AddRange(_unresolved.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => $"schedule request {u.Key} still indeterminate after the heal (last answer: {_lastAnswers.GetValueOrDefault(u, "none")})"));
        return
        [
            DelayedSendChecker.Check([.. Scheduled(operations)], runs, earlyAllowed: ClockJumps),
            CheckResult.From("delayed: every request settled and every alarm key read after the heal", problems),
        ];
    }
}
