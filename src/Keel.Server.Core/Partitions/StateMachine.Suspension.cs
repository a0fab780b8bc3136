using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>When a suspended invocation may resume: only once what it waits on can make progress.</summary>
public sealed partial class StateMachine
{
    private static bool CanResume(ApplyContext c, InvocationRecord record)
    {
        var arrived = ArrivedNotifications(c, record);
        return record.WaitingCompletions.Any(arrived.Completions.ContainsKey)
            || record.WaitingSignals.Any(arrived.Signals.ContainsKey)
            || record.WaitingNamedSignals.Any(arrived.Names.ContainsKey);
    }

    private static Arrived ArrivedNotifications(ApplyContext c, InvocationRecord record)
    {
        var arrived = new Arrived([], [], []);
        foreach (var entry in c.Tables.ReadJournal(record.Id))
        {
            if (!entry.Type.IsNotification())
            {
                continue;
            }

            var n = NotificationTemplate.Parser.ParseFrom(entry.Payload.Span);
            switch (n.IdCase)
            {
                case NotificationTemplate.IdOneofCase.CompletionId: arrived.Completions[n.CompletionId] = n.ResultCase == NotificationTemplate.ResultOneofCase.Failure; break;
                case NotificationTemplate.IdOneofCase.SignalId: arrived.Signals[n.SignalId] = n.ResultCase == NotificationTemplate.ResultOneofCase.Failure; break;
                case NotificationTemplate.IdOneofCase.SignalName: arrived.Names[n.SignalName] = n.ResultCase == NotificationTemplate.ResultOneofCase.Failure; break;
            }
        }

        return arrived;
    }

    /// <summary>Notifications in the journal by id, each with whether it carries a failure.</summary>
    private sealed record Arrived(Dictionary<uint, bool> Completions, Dictionary<uint, bool> Signals, Dictionary<string, bool> Names);
}
