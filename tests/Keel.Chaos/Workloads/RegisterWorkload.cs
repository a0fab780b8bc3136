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
/// clients move to fresh keys every <see cref="OpsPerKey"/> operations per key (as Jepsen's independent keys do):
/// indeterminate operations stay open forever in the checker's search, so a key that collects too many of them
/// could not be decided.
/// </summary>
public sealed class RegisterWorkload(WorkloadOptions options) : IWorkload
{
    private const int Values = 5;
    private readonly string _prefix = $"register-{options.Seed}-";
    private readonly ConcurrentDictionary<string, bool> _used = new(StringComparer.Ordinal);
    private long _operations;

    /// <summary>Operations per key before the clients move to fresh keys; null: the same keys all along.</summary>
    public int? OpsPerKey { get; init; }

    private string[] Keys => [.. _used.Keys.Order(StringComparer.Ordinal)];

    private string NextKey(Random random)
    {
        var generation = OpsPerKey is { } perKey ? Interlocked.Increment(ref _operations) / (perKey * options.Keys) : 0;
        var key = $"{_prefix}{generation}-{random.Next(options.Keys)}";
        _used.TryAdd(key, true);
        return key;
    }

    public string Name => "register";

    public async Task RunAsync(OpHistory history, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(() => ClientAsync(client, caller, history, stop))));
    }

    private async Task ClientAsync(int client, IngressCaller caller, OpHistory history, CancellationToken stop)
    {
        var random = new Random(HashCode.Combine(options.Seed, client, "register"));
        var process = history.NewProcess();
        while (!stop.IsCancellationRequested)
        {
            var key = NextKey(random);
            var outcome = random.Next(10) switch
            {
                < 4 => await ReadAsync(caller, history, process, key),
                < 7 => await WriteAsync(caller, history, process, key, random.Next(Values)),
                _ => await CasAsync(caller, history, process, key, random.Next(Values), random.Next(Values)),
            };
            if (outcome != OpKind.Ok)
            {
                if (outcome == OpKind.Info)
                {
                    process = history.NewProcess();
                }

                await Task.Delay(options.BackOff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

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

    public async Task FinishAsync(OpHistory history, TimeSpan patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        var clock = Stopwatch.StartNew();
        var process = history.NewProcess();
        foreach (var key in Keys)
        {
            while (clock.Elapsed < patience && await ReadAsync(caller, history, process, key) != OpKind.Ok)
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
