namespace Keel.Chaos.Checkers;

/// <summary>A message a handler sent to a keyed target: the <paramref name="Seq"/>-th send of <paramref name="Sender"/>, durably issued or not.</summary>
public sealed record SentMessage(string Sender, string Key, long Seq, bool Acknowledged);

/// <summary>A message as the target key received it (the target appends these to its state in arrival order).</summary>
public sealed record ReceivedMessage(string Sender, long Seq);

/// <summary>
/// Checks per-key ordering of sends: the messages one sender sent to one key arrive there in the order they
/// were sent (an object key's inbox is FIFO in the order its partition received them, and one handler's sends
/// leave in journal order). Messages of different senders may interleave freely. Also found: a message
/// received twice, an acknowledged send never received, a message received that was never sent.
/// </summary>
public static class PerKeyOrderChecker
{
    public const string Name = "per-key-order";

    public static CheckResult Check(IEnumerable<SentMessage> sent, IReadOnlyDictionary<string, IReadOnlyList<ReceivedMessage>> receivedByKey)
    {
        ArgumentNullException.ThrowIfNull(sent);
        ArgumentNullException.ThrowIfNull(receivedByKey);
        var sentSet = sent.ToDictionary(s => (s.Sender, s.Key, s.Seq));
        var problems = new List<string>();

        foreach (var (key, received) in receivedByKey.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var lastSeq = new Dictionary<string, long>(StringComparer.Ordinal);
            var seen = new HashSet<(string, long)>();
            for (var position = 0; position < received.Count; position++)
            {
                var message = received[position];
                if (!seen.Add((message.Sender, message.Seq)))
                {
                    problems.Add($"key {key}: {message.Sender}#{message.Seq} received twice (again at position {position})");
                    continue;
                }

                if (!sentSet.ContainsKey((message.Sender, key, message.Seq)))
                {
                    problems.Add($"key {key}: {message.Sender}#{message.Seq} received at position {position} but never sent to this key");
                }

                if (lastSeq.TryGetValue(message.Sender, out var previous) && message.Seq < previous)
                {
                    problems.Add($"key {key}: {message.Sender}#{message.Seq} received at position {position} after {message.Sender}#{previous}, which was sent later");
                }

                lastSeq[message.Sender] = Math.Max(message.Seq, lastSeq.GetValueOrDefault(message.Sender, long.MinValue));
            }
        }

        var receivedSet = receivedByKey.SelectMany(r => r.Value.Select(m => (m.Sender, r.Key, m.Seq))).ToHashSet();
        foreach (var missing in sentSet.Values.Where(s => s.Acknowledged && !receivedSet.Contains((s.Sender, s.Key, s.Seq)))
                     .OrderBy(s => s.Key, StringComparer.Ordinal).ThenBy(s => s.Sender, StringComparer.Ordinal).ThenBy(s => s.Seq))
        {
            problems.Add($"key {missing.Key}: {missing.Sender}#{missing.Seq} sent (acknowledged) but never received");
        }

        return CheckResult.From(Name, problems);
    }
}
