using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>
/// When a suspended invocation may resume: only once what it waits on can make progress. A V7
/// suspension's future tree is evaluated exactly as sent (all-of, first-completed, first-succeeded,
/// ...), against every notification in the journal; V5/V6 lists resume on any of their ids.
/// </summary>
public sealed partial class StateMachine
{
    private static bool CanResume(ApplyContext c, InvocationRecord record)
    {
        var arrived = ArrivedNotifications(c, record);
        if (record.Awaiting is { } tree)
        {
            return SuspensionCondition.CanResume(Future.Parser.ParseFrom(tree), arrived);
        }

        var v6 = new SuspensionMessageV6();
        v6.WaitingCompletions.AddRange(record.WaitingCompletions);
        v6.WaitingSignals.AddRange(record.WaitingSignals);
        v6.WaitingNamedSignals.AddRange(record.WaitingNamedSignals);
        return SuspensionCondition.CanResume(v6, n => arrived.TryGetValue(n, out var outcome) ? outcome : null);
    }

    private static Dictionary<AwaitedNotification, NotificationOutcome> ArrivedNotifications(ApplyContext c, InvocationRecord record)
    {
        var arrived = new Dictionary<AwaitedNotification, NotificationOutcome>();
        foreach (var entry in c.Tables.ReadJournal(record.Id))
        {
            if (entry.Type.IsNotification())
            {
                var notification = NotificationTemplate.Parser.ParseFrom(entry.Payload.Span);
                if (AwaitedNotification.Of(notification) is { } id)
                {
                    arrived[id] = SuspensionCondition.OutcomeOf(notification);
                }
            }
        }

        return arrived;
    }
}
