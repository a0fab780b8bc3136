using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Keel.Chaos.Checkers;
using Keel.Chaos.Checkers.Linearizability;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>
/// Registers (the ChaosRegister virtual object): clients read, write and compare-and-set small values on a few
/// keys, so operations on one key overlap and values repeat (what makes a stale or lost write visible).
/// Writes and compare-and-sets carry no idempotency key and are never retried: an indeterminate one may take
/// effect at any later time or never, which the linearizability checker allows. A compare that did not match
/// certainly changed nothing: a failure. After the heal each register is read once more. In long runs the
/// clients move to fresh keys once a key of the current ones has <see cref="OpsPerKey"/> operations that the checker
/// looks at (as Jepsen's independent keys do), or <see cref="IndeterminatePerKey"/> writes or compare-and-sets
/// left indeterminate: those stay open forever in the checker's search, which grows exponentially with them, so a
/// key that collects many could not be decided (a cluster run had keys of 30 operations end "unknown").
/// </summary>
public sealed class RegisterWorkload(WorkloadOptions options) : IWorkload
{
    private const int Values = 5;
    private readonly string _prefix = $"register-{options.Seed}-";
    /// <summary>Per key: operations the checker looks at (not failures, not indeterminate reads), and indeterminate writes and compare-and-sets.</summary>
    private readonly ConcurrentDictionary<string, (int Relevant, int Indeterminate)> _used = new(StringComparer.Ordinal);
    private readonly Lock _generationGate = new();
    private int _generation;

    /// <summary>Operations per key before the clients move to fresh keys; null: the same keys all along.</summary>
    public int? OpsPerKey { get; init; }

    /// <summary>Indeterminate writes and compare-and-sets per key before the clients move to fresh keys (with <see cref="OpsPerKey"/> only).</summary>
    public int IndeterminatePerKey { get; init; } = 6;

    private string[] Keys => [.. _used.Keys.Order(StringComparer.Ordinal)];

    private string NextKey(Random random)
    {
        var key = $"{_prefix}{Volatile.Read(ref _generation)}-{random.Next(options.Keys)}";
        _used.TryAdd(key, (0, 0));
        return key;
    }

    /// <summary>Counts what an operation left on its key; moves the clients on when a key of the current generation is full.</summary>
    private void Count(string key, string f, OpKind outcome)
    {
        if (OpsPerKey is not { } perKey || outcome == OpKind.Fail || (f == "read" && outcome == OpKind.Info))
        {
            return;
        }

        var counts = _used.AddOrUpdate(key, (1, 0), (_, c) => (c.Relevant + 1, c.Indeterminate + (outcome == OpKind.Info ? 1 : 0)));
        if (counts.Relevant >= perKey || counts.Indeterminate >= IndeterminatePerKey)
        {
            lock (_generationGate)
            {
                // Only a key of the current generation moves it on (operations on older keys may still be finishing).
                if (key.StartsWith($"{_prefix}{_generation}-", StringComparison.Ordinal))
                {
                    _generation++;
                }
            }
        }
    }

    public string Name => "register";

    public Task RunAsync(OpHistory history, CancellationToken stop) =>
        ClientLoop.RunAsync(options, history, Name, stop, async (caller, _, random, _, process) =>
        {
            var key = NextKey(random);
            var f = random.Next(10) switch { < 4 => "read", < 7 => "write", _ => "cas" };
            var outcome = f switch
            {
                "read" => await ReadAsync(caller, history, process, key),
                "write" => await WriteAsync(caller, history, process, key, random.Next(Values)),
                _ => await CasAsync(caller, history, process, key, random.Next(Values), random.Next(Values)),
            };
            Count(key, f, outcome);
            return outcome;
        });

    private static async Task<OpKind> ReadAsync(IngressCaller caller, OpHistory history, int process, string key)
    {
        var invoke = history.Invoke(process, "read", key, null);
        var outcome = await caller.CallAsync($"/ChaosRegister/{key}/get", null);
        // {"value": n}, or the value null (or left out) before the first write.
        long? value = outcome is { Kind: OpKind.Ok, Body: { } body } && body.TryGetProperty("value", out var number) && number.ValueKind == JsonValueKind.Number ? number.GetInt64() : null;
        history.Complete(invoke, outcome.Kind, value, outcome.Error);
        return outcome.Kind;
    }

    private static async Task<OpKind> WriteAsync(IngressCaller caller, OpHistory history, int process, string key, long value)
    {
        var invoke = history.Invoke(process, "write", key, value);
        var outcome = await caller.CallAsync($"/ChaosRegister/{key}/set", value);
        history.Complete(invoke, outcome.Kind, error: outcome.Error);
        return outcome.Kind;
    }

    private static async Task<OpKind> CasAsync(IngressCaller caller, OpHistory history, int process, string key, long from, long to)
    {
        var invoke = history.Invoke(process, "cas", key, new CasArgs(from, to));
        var outcome = await caller.CallAsync($"/ChaosRegister/{key}/cas", new { from, to });
        if (outcome is { Kind: OpKind.Ok, Body.ValueKind: JsonValueKind.False })
        {
            history.Complete(invoke, OpKind.Fail, error: "compare did not match");
        }
        else
        {
            history.Complete(invoke, outcome.Kind, error: outcome.Error);
        }

        // What the call did, not what the compare did: a mismatch is a normal answer, no reason to back off.
        return outcome.Kind;
    }

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        var clock = Stopwatch.StartNew();
        var process = history.NewProcess();
        foreach (var key in Keys)
        {
            while (clock.Elapsed < patience.Idle && await ReadAsync(caller, history, process, key) != OpKind.Ok)
            {
                process = history.NewProcess();
                await Task.Delay(options.BackOff);
            }
        }
    }

    public bool Owns(string? key) => key is not null && key.StartsWith(_prefix, StringComparison.Ordinal);

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var mine = operations.Where(o => Owns(o.Key)).ToList();
        var finalReads = Keys.Where(k => !mine.Any(o => o.Key == k && o.F == "read" && o.IsOk)).Select(k => $"no read of {k} succeeded").ToList();
        return
        [
            LinearizabilityChecker.CheckPerKey(mine, RegisterModel.Instance),
            CheckResult.From("register: final reads after the heal", finalReads),
        ];
    }
}
