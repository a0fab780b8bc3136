using System.Collections.Concurrent;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>
/// Requests with a side effect outside Keel (the ChaosEffects service): each request has a unique id, sent as
/// its argument and as its ingress idempotency key; the handler's journaled run appends "request-id
/// invocation-id" to a ledger file in the endpoint's process. A run may execute again after a crash (same
/// invocation id: the effect's own idempotency key absorbs it); the same request must never become two
/// invocations, and an acknowledged request's effect must be there. After the heal every indeterminate request
/// is retried with its key until acknowledged; then the ledger, deduplicated by effect key, goes to the
/// exactly-once checker.
/// </summary>
public sealed class EffectsWorkload(WorkloadOptions options, string ledgerFile) : IWorkload
{
    private readonly string _key = $"effects-{options.Seed}";
    private readonly ConcurrentDictionary<string, bool> _unresolved = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string> _lastAnswers = new Dictionary<string, string>();

    public string Name => "effects";

    /// <summary>Runs of an effect beyond the first for the same invocation (absorbed by its idempotency key): how often the campaign hit that window.</summary>
    public int ReExecutions { get; private set; }

    public Task RunAsync(OpHistory history, CancellationToken stop) =>
        ClientLoop.RunAsync(options, history, Name, stop, (caller, client, _, i, process) => RequestAsync(caller, history, process, $"r-{options.Seed}-{client}-{i}"));

    private async Task<OpKind> RequestAsync(IngressCaller caller, OpHistory history, int process, string requestId)
    {
        var invoke = history.Invoke(process, "request", _key, requestId);
        var outcome = await caller.CallAsync("/ChaosEffects/request", requestId, idempotencyKey: requestId);
        history.Complete(invoke, outcome.Kind, error: outcome.Error);
        _unresolved.Note(outcome.Kind, requestId, true);

        return outcome.Kind;
    }

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        _lastAnswers = await Settling.RetryUntilOkAsync(Name, _unresolved.Keys.Order(StringComparer.Ordinal).ToList(), history, patience, options.BackOff,
            (requestId, process) => RequestAsync(caller, history, process, requestId));
    }

    public bool Owns(string? key) => key == _key;

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var mine = operations.Where(o => o.Key == _key).ToList();
        // Each line is one execution of an effect; the same (request, invocation) twice is one effect run again.
        var attempts = File.Exists(ledgerFile)
            ? File.ReadAllLines(ledgerFile).Where(l => l.Length > 0).Select(l => l.Split(' ')).Select(p => (Request: p[0], Effect: p[1])).Where(a => a.Request.StartsWith($"r-{options.Seed}-", StringComparison.Ordinal)).ToList()
            : [];
        var effects = attempts.Distinct().ToList();
        ReExecutions = attempts.Count - effects.Count;
        var unresolved = _unresolved.Keys.Order(StringComparer.Ordinal).Select(id => $"request {id} still indeterminate after the heal (last answer: {_lastAnswers.GetValueOrDefault(id, "none")})").ToList();
        return
        [
            ExactlyOnceChecker.Check(mine, [.. effects.Select(e => e.Request)]),
            CheckResult.From("effects: every request settled after the heal", unresolved),
        ];
    }
}
