using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Storage;

namespace Keel.Server.Introspection;

/// <summary>Turns one invocation's stored journal entries into <see cref="JournalRow"/>s.</summary>
public static class JournalRows
{
    /// <summary>Restate's display name of an entry kind: <c>Command: Run</c>, <c>Notification: Sleep</c>, <c>Notification: Signal</c>.</summary>
    public static string EntryTypeName(MessageType type)
    {
        var name = type.ToString();
        if (type.IsCommand())
        {
            return "Command: " + Trim(name, "Command");
        }

        return type == MessageType.SignalNotification ? "Notification: Signal" : "Notification: " + Trim(name, "Completion");
    }

    private static string Trim(string name, string suffix) => name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : name;

    /// <summary>
    /// The rows of one journal, in index order. <paramref name="entries"/> are (index, the value as
    /// stored, see <see cref="JournalValue"/>: type, append time when kept, protocol message). A command counts as completed once its completion is in the
    /// journal; a call's invoked id comes from its invocation-id notification. Each row carries the
    /// entry in Restate's JSON (<see cref="EntryJson"/>); <paramref name="schema"/>, when given, tells
    /// the kinds of call targets there. An entry that does not decode still has its row, with what
    /// could be read of it.
    /// </summary>
    public static IEnumerable<JournalRow> Of(InvocationId id, IReadOnlyList<(uint Index, byte[] Value)> entries, ISchemaView? schema = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var decoded = entries.Select(e => (e.Index, Entry: Decode(e.Value))).ToList();
        var completions = new HashSet<uint>();
        var calledIds = new Dictionary<uint, string>();
        foreach (var (_, (type, _, payload)) in decoded)
        {
            if (type.IsNotification() && type != MessageType.SignalNotification && TryParseNotification(payload) is { } notification)
            {
                completions.Add(notification.CompletionId);
                if (type == MessageType.CallInvocationIdCompletion)
                {
                    calledIds[notification.CompletionId] = notification.InvocationId;
                }
            }
        }

        var idText = id.ToString();
        foreach (var (index, (type, appendedAt, payload)) in decoded)
        {
            var row = new JournalRow
            {
                Id = idText,
                PartitionKey = id.PartitionKey,
                Index = index,
                EntryType = EntryTypeName(type),
                Raw = payload.ToArray(),
                EntryJson = type == 0 ? null : EntryJson.Of(type, payload.Span, calledIds, schema),
                AppendedAt = appendedAt?.UtcDateTime,
            };
            yield return Detailed(row, type, payload, completions, calledIds);
        }
    }

    /// <summary>A stored value's type, append time and message; a value too short to hold a type decodes as type 0, empty.</summary>
    private static (MessageType Type, DateTimeOffset? AppendedAt, ReadOnlyMemory<byte> Payload) Decode(byte[] value) =>
        value.Length < 2 ? ((MessageType)0, null, ReadOnlyMemory<byte>.Empty) : JournalValue.Decode(value);

    private static NotificationTemplate? TryParseNotification(ReadOnlyMemory<byte> payload)
    {
        try
        {
            return NotificationTemplate.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>The row with what its kind adds (name, completion, call target, wake-up time, promise); as it is if the entry does not decode.</summary>
    private static JournalRow Detailed(JournalRow row, MessageType type, ReadOnlyMemory<byte> message, HashSet<uint> completions, Dictionary<uint, string> calledIds)
    {
        try
        {
            var payload = message.Span;
            row = row with { Name = type.IsCommand() ? NameOf(payload) : null };
            return type switch
            {
                MessageType.CallCommand => Call(row, CallCommandMessage.Parser.ParseFrom(payload), completions, calledIds),
                MessageType.OneWayCallCommand => OneWayCall(row, OneWayCallCommandMessage.Parser.ParseFrom(payload), calledIds),
                MessageType.SleepCommand => Sleep(row, SleepCommandMessage.Parser.ParseFrom(payload), completions),
                MessageType.GetPromiseCommand => GetPromise(row, GetPromiseCommandMessage.Parser.ParseFrom(payload), completions),
                MessageType.PeekPromiseCommand => PeekPromise(row, PeekPromiseCommandMessage.Parser.ParseFrom(payload), completions),
                MessageType.CompletePromiseCommand => CompletePromise(row, CompletePromiseCommandMessage.Parser.ParseFrom(payload), completions),
                MessageType.RunCommand => row with { Completed = completions.Contains(RunCommandMessage.Parser.ParseFrom(payload).ResultCompletionId) },
                MessageType.InputCommand or MessageType.OutputCommand or MessageType.SetStateCommand or MessageType.ClearStateCommand
                    or MessageType.ClearAllStateCommand or MessageType.GetEagerStateCommand or MessageType.GetEagerStateKeysCommand
                    or MessageType.SendSignalCommand or MessageType.CompleteAwakeableCommand => row with { Completed = true },
                _ => row with { Completed = type.IsNotification() },
            };
        }
        catch (InvalidProtocolBufferException)
        {
            return row;
        }
    }

    private static JournalRow Call(JournalRow row, CallCommandMessage call, HashSet<uint> completions, Dictionary<uint, string> calledIds) => row with
    {
        Completed = completions.Contains(call.ResultCompletionId),
        InvokedId = calledIds.GetValueOrDefault(call.InvocationIdNotificationIdx),
        InvokedTarget = Target(call.ServiceName, call.Key, call.HandlerName),
    };

    private static JournalRow OneWayCall(JournalRow row, OneWayCallCommandMessage send, Dictionary<uint, string> calledIds) => row with
    {
        Completed = true,
        InvokedId = calledIds.GetValueOrDefault(send.InvocationIdNotificationIdx),
        InvokedTarget = Target(send.ServiceName, send.Key, send.HandlerName),
    };

    private static JournalRow Sleep(JournalRow row, SleepCommandMessage sleep, HashSet<uint> completions) => row with
    {
        Completed = completions.Contains(sleep.ResultCompletionId),
        SleepWakeupAt = ProtocolTime.FromUnixMilliseconds(sleep.WakeUpTime).UtcDateTime,
    };

    private static JournalRow GetPromise(JournalRow row, GetPromiseCommandMessage get, HashSet<uint> completions) =>
        row with { Completed = completions.Contains(get.ResultCompletionId), PromiseName = get.Key };

    private static JournalRow PeekPromise(JournalRow row, PeekPromiseCommandMessage peek, HashSet<uint> completions) =>
        row with { Completed = completions.Contains(peek.ResultCompletionId), PromiseName = peek.Key };

    private static JournalRow CompletePromise(JournalRow row, CompletePromiseCommandMessage complete, HashSet<uint> completions) =>
        row with { Completed = completions.Contains(complete.ResultCompletionId), PromiseName = complete.Key };

    private static string Target(string service, string key, string handler) =>
        string.IsNullOrEmpty(key) ? $"{service}/{handler}" : $"{service}/{key}/{handler}";

    /// <summary>Every command message carries its user-given name in field 12; read just that field.</summary>
    private static string? NameOf(ReadOnlySpan<byte> payload)
    {
        var input = new CodedInputStream(payload.ToArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == (12 << 3 | 2))
            {
                var name = input.ReadString();
                return name.Length == 0 ? null : name;
            }

            input.SkipLastField();
        }

        return null;
    }
}
