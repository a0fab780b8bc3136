using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Keel.Chaos.Checkers;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>A send batch as recorded in the history: the sender's name and how many messages it sends.</summary>
public sealed record SendArgs(string Sender, int Count);

/// <summary>
/// Ordered one-way sends (the ChaosSender service, the ChaosInbox virtual object): each client request is one
/// sender that sends a few numbered messages to one inbox key from one handler; senders to the same key
/// interleave. Requests carry an idempotency key (the sender's name), so after the heal every indeterminate one
/// is retried until acknowledged; then each inbox is read until every acknowledged sender's messages are there
/// (one-way sends arrive after the sender's answer), and the per-key-order checker judges the final lists: each
/// sender's messages in send order, once each, none lost, none from a request that certainly failed.
/// </summary>
public sealed class SendWorkload(WorkloadOptions options) : IWorkload
{
    private const int MaxMessages = 5;
    private readonly string[] _keys = [.. Enumerable.Range(0, options.Keys).Select(i => $"inbox-{options.Seed}-{i}")];
    private readonly ConcurrentDictionary<string, (string Key, int Count)> _unresolved = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<KeyValuePair<string, (string Key, int Count)>, string> _lastAnswers = new Dictionary<KeyValuePair<string, (string Key, int Count)>, string>();

    public string Name => "send";

    public Task RunAsync(OpHistory history, CancellationToken stop) =>
        ClientLoop.RunAsync(options, history, Name, stop, (caller, client, random, i, process) =>
            SendAsync(caller, history, process, _keys[random.Next(_keys.Length)], $"s-{options.Seed}-{client}-{i}", random.Next(2, MaxMessages + 1)));

    private async Task<OpKind> SendAsync(IngressCaller caller, OpHistory history, int process, string key, string sender, int count)
    {
        var invoke = history.Invoke(process, "send", key, new SendArgs(sender, count));
        var outcome = await caller.CallAsync("/ChaosSender/send", new { sender, key, count }, idempotencyKey: sender);
        history.Complete(invoke, outcome.Kind, error: outcome.Error);
        _unresolved.Note(outcome.Kind, sender, (key, count));

        return outcome.Kind;
    }

    private static async Task<(OpKind Kind, List<ReceivedMessage>? Messages)> ReadAsync(IngressCaller caller, OpHistory history, int process, string key)
    {
        var invoke = history.Invoke(process, "read", key, null);
        var outcome = await caller.CallAsync($"/ChaosInbox/{key}/get", null);
        var messages = outcome is { Kind: OpKind.Ok, Body: { } body }
            ? body.EnumerateArray().Select(m => new ReceivedMessage(m.GetProperty("sender").GetString()!, m.GetProperty("seq").GetInt64())).ToList()
            : null;
        history.Complete(invoke, outcome.Kind, messages?.Select(m => $"{m.Sender}#{m.Seq}").ToList(), outcome.Error);
        return (outcome.Kind, messages);
    }

    public async Task FinishAsync(OpHistory history, SettlingPatience patience)
    {
        ArgumentNullException.ThrowIfNull(history);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        var clock = Stopwatch.StartNew();
        var process = history.NewProcess();
        _lastAnswers = await Settling.RetryUntilOkAsync(Name, _unresolved.OrderBy(u => u.Key, StringComparer.Ordinal).ToList(), history, patience, options.BackOff,
            (send, retrier) => SendAsync(caller, history, retrier, send.Value.Key, send.Key, send.Value.Count));

        // The final reads have a patience of their own: the retries may have used all of theirs.
        clock.Restart();
        // The sends are one-way: acknowledged senders' messages may still be on their way. Read until they are all there.
        var expected = Sent(Operations.Pair(history.Ops)).Where(s => s.Acknowledged).ToList();
        foreach (var key in _keys)
        {
            var want = expected.Where(s => s.Key == key).Select(s => new ReceivedMessage(s.Sender, s.Seq)).ToHashSet();
            while (clock.Elapsed < patience.Idle)
            {
                var (kind, messages) = await ReadAsync(caller, history, process, key);
                if (kind == OpKind.Info)
                {
                    process = history.NewProcess();
                }

                if (messages is not null && want.IsSubsetOf(messages))
                {
                    break;
                }

                await Task.Delay(options.BackOff);
            }
        }
    }

    /// <summary>Every message a send request may have sent, acknowledged when any attempt of the request was; certainly failed requests sent nothing.</summary>
    private IEnumerable<SentMessage> Sent(IReadOnlyList<Operation> operations) =>
        operations.Where(o => o.F == "send" && o.Key is not null && _keys.Contains(o.Key))
            .GroupBy(o => (SendArgs)o.Argument!)
            .Where(g => g.Any(o => o.Outcome != OpKind.Fail))
            .SelectMany(g => Enumerable.Range(1, g.Key.Count).Select(seq => new SentMessage(g.Key.Sender, g.First().Key!, seq, g.Any(o => o.IsOk))));

    public bool Owns(string? key) => key is not null && _keys.Contains(key);

    public IReadOnlyList<CheckResult> Check(IReadOnlyList<Operation> operations)
    {
        var finalReads = new Dictionary<string, IReadOnlyList<ReceivedMessage>>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var key in _keys)
        {
            // The last successful read of each key is the final state (reads after the heal, until everything arrived).
            if (operations.LastOrDefault(o => o.Key == key && o.F == "read" && o.IsOk) is { Result: List<string> messages })
            {
                finalReads[key] = [.. messages.Select(m => m.Split('#')).Select(p => new ReceivedMessage(p[0], long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))];
            }
            else
            {
                problems.Add($"no read of {key} succeeded");
            }
        }

        problems.AddRange(_unresolved.OrderBy(u => u.Key, StringComparer.Ordinal).Select(s => $"send request {s.Key} still indeterminate after the heal (last answer: {_lastAnswers.GetValueOrDefault(s, "none")})"));
        return
        [
            PerKeyOrderChecker.Check(Sent(operations), finalReads),
            CheckResult.From("send: every request settled and every inbox read after the heal", problems),
        ];
    }
}
