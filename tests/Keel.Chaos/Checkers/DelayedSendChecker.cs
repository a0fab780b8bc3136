using Keel.Chaos.History;

namespace Keel.Chaos.Checkers;

/// <summary>A delayed send as the client asked for it: acknowledged (the sending handler completed), indeterminate, or certainly failed.</summary>
public sealed record ScheduledAlarm(string Id, string Key, OpKind Outcome);

/// <summary>An alarm as the target recorded it when it ran: due and fired times by the service's own journaled clock.</summary>
public sealed record AlarmRun(string Id, string Key, DateTimeOffset Due, DateTimeOffset Fired);

/// <summary>
/// Checks delayed sends (durable timers): each alarm runs once (a timer fired twice shows as a duplicate), never
/// before its due time, on the key it was sent to; an acknowledged one has run (the caller waits for that, after the
/// heal, before checking); none runs that was never asked for or whose request certainly failed. Indeterminate
/// requests may have run or not. Under wall-clock jumps forward of the server, alarms run early by the service's
/// clock (their timers are wall times, and the server's wall clock moved on): then <c>earlyAllowed</c> leaves
/// that check out, and once, lost and unexpected remain.
/// </summary>
public static class DelayedSendChecker
{
    public const string Name = "delayed-send";

    public static CheckResult Check(IReadOnlyList<ScheduledAlarm> scheduled, IReadOnlyList<AlarmRun> runs, bool earlyAllowed = false)
    {
        ArgumentNullException.ThrowIfNull(scheduled);
        ArgumentNullException.ThrowIfNull(runs);
        var asked = scheduled.GroupBy(s => s.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var group in runs.GroupBy(r => r.Id, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var first = group.First();
            if (group.Count() > 1)
            {
                problems.Add($"alarm {group.Key} ran {group.Count()} times (at {string.Join(", ", group.Select(r => r.Fired.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture)))})");
            }

            foreach (var early in group.Where(r => !earlyAllowed && r.Fired < r.Due))
            {
                problems.Add($"alarm {group.Key} ran {(early.Due - early.Fired).TotalMilliseconds:F0} ms before its due time");
            }

            if (!asked.TryGetValue(group.Key, out var requests))
            {
                problems.Add($"alarm {group.Key} ran on {first.Key} but was never asked for");
            }
            else if (requests.All(r => r.Outcome == OpKind.Fail))
            {
                problems.Add($"alarm {group.Key} ran but every request for it certainly failed");
            }
            else if (requests[0].Key != first.Key)
            {
                problems.Add($"alarm {group.Key} ran on {first.Key}, sent to {requests[0].Key}");
            }
        }

        var ran = runs.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, requests) in asked.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (requests.Any(r => r.Outcome == OpKind.Ok) && !ran.Contains(id))
            {
                problems.Add($"alarm {id} acknowledged but never ran");
            }
        }

        return CheckResult.From(Name, problems);
    }
}
