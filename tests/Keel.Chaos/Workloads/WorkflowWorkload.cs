using System.Collections.Concurrent;
using System.Text.Json;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>What a workflow is driven with: its input, the promise's value and the awakeable's value.</summary>
public sealed record WorkflowArgs(string Input, string PromiseValue, string AwakeableValue)
{
    public string Expected => $"{Input}/{PromiseValue}/{AwakeableValue}";
}

/// <summary>
/// Workflows woken by a durable promise and an awakeable (the ChaosWorkflow service). Each client drives one
/// workflow id at a time through its steps, each an operation of the history on that id: <c>start</c> (a send
/// of <c>run</c>: a workflow starts once per id, so submitting it again is harmless), <c>resolve</c> (the shared
/// handler resolves the promise; again with the same value is no error), <c>awakeable</c> (reads the awakeable's id
/// that <c>run</c> keeps in state, until it is there), <c>wake</c> (resolves the awakeable through the ingress),
/// <c>attach</c> (waits for the result) and <c>get</c> (the shared handler reads the result after the end). Every
/// step is safe to repeat, so a workflow whose step failed or went indeterminate is driven again from its start
/// by its client (after the heal, if the run stopped meanwhile) until it completes. The workflow checker then judges the results against the
/// ends <c>run</c> recorded in the effect ledger (one per workflow id and invocation).
/// </summary>
public sealed class WorkflowWorkload(WorkloadOptions options, string ledgerFile) : IWorkload
{
    private readonly string _prefix = $"wf-{options.Seed}-";
    private readonly ConcurrentDictionary<string, WorkflowArgs> _workflows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _unresolved = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string> _lastAnswers = new Dictionary<string, string>();

    public string Name => "workflow";

    /// <summary>How often <c>awakeable</c> is read before the attempt is given up (the run may not have started yet).</summary>
    public int AwakeablePolls { get; init; } = 40;

    public async Task RunAsync(OpHistory history, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(() => ClientAsync(client, caller, history, stop))));
    }

    private async Task ClientAsync(int client, IngressCaller caller, OpHistory history, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(options.Seed, client, "workflow"));
        var process = history.NewProcess();
        // One workflow at a time: one interrupted by a fault is driven again (same id, same values) until it ends,
        // so at most one per client is left for the heal.
        for (var i = 0; !stop.IsCancellationRequested;)
        {
            var id = $"{_prefix}{client}-{i}";
            if (_workflows.TryAdd(id, new WorkflowArgs($"in{i}", $"p{random.Next(1000)}", $"a{random.Next(1000)}")))
            {
                _unresolved[id] = true;
            }

            var (done, next) = await DriveAsync(caller, history, process, id);
            process = next;
            if (done)
            {
                i++;
            }
            else
            {
                await Task.Delay(options.BackOff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Runs every step of one workflow; false at the first step that did not succeed (the process to go on with is returned: a new one after an indeterminate step).</summary>
    private async Task<(bool Done, int Process)> DriveAsync(IngressCaller caller, OpHistory history, int process, string id)
    {
        var args = _workflows[id];
        var path = $"/ChaosWorkflow/{id}";
        var steps = new Func<Task<CallOutcome>>[]
        {
            () => Step(history, process, id, "start", args, () => caller.CallAsync($"{path}/run/send", args.Input)),
            () => Step(history, process, id, "resolve", args.PromiseValue, () => caller.CallAsync($"{path}/resolve", args.PromiseValue)),
        };
        foreach (var step in steps)
        {
            if (await step() is { Kind: not OpKind.Ok } failed)
            {
                return (false, failed.Kind == OpKind.Info ? history.NewProcess() : process);
            }
        }

        string? awakeable = null;
        for (var poll = 0; awakeable is null; poll++)
        {
            var read = await Step(history, process, id, "awakeable", null, () => caller.CallAsync($"{path}/awakeable", null));
            if (read.Kind != OpKind.Ok || poll >= AwakeablePolls)
            {
                return (false, read.Kind == OpKind.Info ? history.NewProcess() : process);
            }

            awakeable = Text(read);
            if (awakeable is null)
            {
                await Task.Delay(options.BackOff);
            }
        }

        var rest = new Func<Task<CallOutcome>>[]
        {
            () => Step(history, process, id, "wake", args.AwakeableValue, () => caller.CallAsync($"/restate/awakeables/{awakeable}/resolve", args.AwakeableValue)),
            () => Step(history, process, id, "attach", null, () => caller.GetAsync($"/restate/workflow/ChaosWorkflow/{id}/attach")),
            () => Step(history, process, id, "get", null, () => caller.CallAsync($"{path}/get", null)),
        };
        foreach (var step in rest)
        {
            if (await step() is { Kind: not OpKind.Ok } failed)
            {
                return (false, failed.Kind == OpKind.Info ? history.NewProcess() : process);
            }
        }

        _unresolved.TryRemove(id, out _);
        return (true, process);
    }

    private static async Task<CallOutcome> Step(OpHistory history, int process, string id, string f, object? argument, Func<Task<CallOutcome>> call)
    {
        var invoke = history.Invoke(process, f, id, argument);
        var outcome = await call();
        history.Complete(invoke, outcome.Kind, f is "attach" or "get" or "awakeable" ? Text(outcome) : null, outcome.Error);
        return outcome;
    }

    private static string? Text(CallOutcome outcome) => outcome.Body is { ValueKind: JsonValueKind.String } body ? body.GetString() : null;

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        _lastAnswers = await Settling.RetryUntilOkAsync(Name, _unresolved.Keys.Order(StringComparer.Ordinal).ToList(), history, patience, options.BackOff,
            async (id, process) => (await DriveAsync(caller, history, process, id)).Done ? OpKind.Ok : OpKind.Info);
    }

    public bool Owns(string? key) => key is not null && key.StartsWith(_prefix, StringComparison.Ordinal);

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var mine = operations.Where(o => o.Key is not null && _workflows.ContainsKey(o.Key)).GroupBy(o => o.Key!).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var runs = _workflows.Select(w =>
        {
            var ops = mine.GetValueOrDefault(w.Key) ?? [];
            var attach = ops.LastOrDefault(o => o.F == "attach" && o.IsOk);
            var readAfter = attach is null ? null : ops.LastOrDefault(o => o.F == "get" && o.IsOk && o.InvokeTime > attach.CompleteTime);
            return new WorkflowRun(w.Key, w.Value.Expected, ops.Any(o => o.F == "start" && o.IsOk), attach?.Result as string, readAfter?.Result as string);
        }).ToList();
        var ends = File.Exists(ledgerFile)
            ? File.ReadAllLines(ledgerFile).Where(l => l.StartsWith(_prefix, StringComparison.Ordinal)).Select(l => l.Split(' ')).Select(p => new WorkflowEnd(p[0], p[1])).ToList()
            : [];
        var unresolved = _unresolved.Keys.Order(StringComparer.Ordinal).Select(id => $"workflow {id} not driven to its end after the heal (last answer: {_lastAnswers.GetValueOrDefault(id, "none")})").ToList();
        return
        [
            WorkflowChecker.Check(runs, ends),
            CheckResult.From("workflow: every workflow completed after the heal", unresolved),
        ];
    }
}
