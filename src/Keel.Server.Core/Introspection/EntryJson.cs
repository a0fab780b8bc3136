using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Storage;
using ProtoFailure = Keel.Protocol.Messages.Failure;

namespace Keel.Server.Introspection;

/// <summary>
/// The <c>sys_journal.entry_json</c> of one journal entry: the entry in the JSON that restate-server
/// 1.7 writes there (its serde form of a journal v2 entry), which the official CLI reads back to show
/// an entry's details. Externally tagged enums (<c>{"Command":{"Sleep":{…}}}</c>, unit variants as
/// plain strings like <c>"Void"</c>), snake_case fields, byte strings as arrays of numbers, ids in
/// their text form, times as milliseconds since the Unix epoch, durations as <c>{"secs","nanos"}</c>.
/// </summary>
public static partial class EntryJson
{
    /// <summary>Retention Keel and Restate both default to (completion and journal): a day.</summary>
    private static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(24);

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Like serde_json: only quotes, backslashes and control characters are escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The JSON of the entry of <paramref name="type"/> whose protocol message is <paramref name="payload"/>,
    /// or null when the entry does not decode (or is of a kind a journal does not hold).
    /// <paramref name="calledIds"/> maps a call's invocation-id notification (completion id) to the id of
    /// the invocation it started; <paramref name="schema"/>, when given, tells the kind of a call's target
    /// and its retention (without it: a keyed target counts as an exclusive object handler).
    /// </summary>
    public static string? Of(MessageType type, ReadOnlySpan<byte> payload, IReadOnlyDictionary<uint, string>? calledIds = null, ISchemaView? schema = null)
    {
        if (!type.IsCommand() && !type.IsNotification())
        {
            return null;
        }

        try
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            {
                var context = new Context(calledIds, schema);
                if (!(type.IsCommand() ? WriteCommand(json, type, payload.ToArray(), context) : WriteNotification(json, type, payload.ToArray())))
                {
                    return null;
                }
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
#pragma warning disable CA1031 // An entry that does not decode has no JSON; introspection must go on.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }
    }

    private sealed record Context(IReadOnlyDictionary<uint, string>? CalledIds, ISchemaView? Schema);

    private enum TargetKind
    {
        None,
        InvocationId,
        IdempotentRequest,
        Workflow,
    }

    private static bool WriteCommand(Utf8JsonWriter json, MessageType type, byte[] payload, Context context)
    {
        Action<Utf8JsonWriter>? body = type switch
        {
            MessageType.InputCommand => Input(InputCommandMessage.Parser.ParseFrom(payload)),
            MessageType.OutputCommand => Output(OutputCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetLazyStateCommand => GetLazyState(GetLazyStateCommandMessage.Parser.ParseFrom(payload)),
            MessageType.SetStateCommand => SetState(SetStateCommandMessage.Parser.ParseFrom(payload)),
            MessageType.ClearStateCommand => ClearState(ClearStateCommandMessage.Parser.ParseFrom(payload)),
            MessageType.ClearAllStateCommand => ClearAllState(ClearAllStateCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetLazyStateKeysCommand => GetLazyStateKeys(GetLazyStateKeysCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetEagerStateCommand => GetEagerState(GetEagerStateCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetEagerStateKeysCommand => GetEagerStateKeys(GetEagerStateKeysCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetPromiseCommand => GetPromise(GetPromiseCommandMessage.Parser.ParseFrom(payload)),
            MessageType.PeekPromiseCommand => PeekPromise(PeekPromiseCommandMessage.Parser.ParseFrom(payload)),
            MessageType.CompletePromiseCommand => CompletePromise(CompletePromiseCommandMessage.Parser.ParseFrom(payload)),
            MessageType.SleepCommand => Sleep(SleepCommandMessage.Parser.ParseFrom(payload)),
            MessageType.CallCommand => Call(CallCommandMessage.Parser.ParseFrom(payload), context),
            MessageType.OneWayCallCommand => OneWayCall(OneWayCallCommandMessage.Parser.ParseFrom(payload), context),
            MessageType.SendSignalCommand => SendSignal(SendSignalCommandMessage.Parser.ParseFrom(payload)),
            MessageType.RunCommand => Run(RunCommandMessage.Parser.ParseFrom(payload)),
            MessageType.AttachInvocationCommand => AttachInvocation(AttachInvocationCommandMessage.Parser.ParseFrom(payload)),
            MessageType.GetInvocationOutputCommand => GetInvocationOutput(GetInvocationOutputCommandMessage.Parser.ParseFrom(payload)),
            MessageType.CompleteAwakeableCommand => CompleteAwakeable(CompleteAwakeableCommandMessage.Parser.ParseFrom(payload)),
            _ => null,
        };
        if (body is null)
        {
            return false;
        }

        json.WriteStartObject();
        json.WriteStartObject("Command");
        json.WriteStartObject(KindName(type, "Command"));
        body(json);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        return true;
    }

    private static bool WriteNotification(Utf8JsonWriter json, MessageType type, byte[] payload)
    {
        var n = NotificationTemplate.Parser.ParseFrom(payload);
        json.WriteStartObject();
        json.WriteStartObject("Notification");
        if (type == MessageType.SignalNotification)
        {
            json.WriteStartObject("Signal");
            json.WritePropertyName("id");
            switch (n.IdCase)
            {
                case NotificationTemplate.IdOneofCase.SignalId:
                    WriteSignalIndex(json, n.SignalId);
                    break;
                case NotificationTemplate.IdOneofCase.SignalName:
                    WriteSignalName(json, n.SignalName);
                    break;
                default:
                    return false;
            }

            json.WritePropertyName("result");
            if (!WriteResult(json, n, voidAllowed: true, failureAllowed: true))
            {
                return false;
            }

            json.WriteEndObject();
        }
        else
        {
            var kind = type switch
            {
                MessageType.GetLazyStateCompletion or MessageType.GetLazyStateKeysCompletion or MessageType.GetPromiseCompletion
                    or MessageType.PeekPromiseCompletion or MessageType.CompletePromiseCompletion or MessageType.SleepCompletion
                    or MessageType.CallInvocationIdCompletion or MessageType.CallCompletion or MessageType.RunCompletion
                    or MessageType.AttachInvocationCompletion or MessageType.GetInvocationOutputCompletion => KindName(type, "Completion"),
                _ => null,
            };
            if (kind is null || n.IdCase is not (NotificationTemplate.IdOneofCase.CompletionId or NotificationTemplate.IdOneofCase.None))
            {
                return false;
            }

            json.WriteStartObject("Completion");
            json.WriteStartObject(kind);
            json.WriteNumber("completion_id", n.CompletionId);
            var ok = type switch
            {
                MessageType.SleepCompletion => true,
                MessageType.CallInvocationIdCompletion => n.ResultCase == NotificationTemplate.ResultOneofCase.InvocationId
                    && WriteInvocationId(json, "invocation_id", n.InvocationId),
                MessageType.GetLazyStateKeysCompletion => n.ResultCase == NotificationTemplate.ResultOneofCase.StateKeys
                    && WriteStateKeys(json, "state_keys", n.StateKeys),
                MessageType.GetLazyStateCompletion => WriteResultProperty(json, n, voidAllowed: true, failureAllowed: false),
                MessageType.PeekPromiseCompletion or MessageType.GetInvocationOutputCompletion => WriteResultProperty(json, n, voidAllowed: true, failureAllowed: true),
                MessageType.CompletePromiseCompletion => n.ResultCase != NotificationTemplate.ResultOneofCase.Value
                    && WriteResultProperty(json, n, voidAllowed: true, failureAllowed: true),
                _ => WriteResultProperty(json, n, voidAllowed: false, failureAllowed: true),
            };
            if (!ok)
            {
                return false;
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        return true;
    }

    private static bool WriteResultProperty(Utf8JsonWriter json, NotificationTemplate n, bool voidAllowed, bool failureAllowed)
    {
        json.WritePropertyName("result");
        return WriteResult(json, n, voidAllowed, failureAllowed);
    }

    private static bool WriteResult(Utf8JsonWriter json, NotificationTemplate n, bool voidAllowed, bool failureAllowed)
    {
        switch (n.ResultCase)
        {
            case NotificationTemplate.ResultOneofCase.Void when voidAllowed:
                json.WriteStringValue("Void");
                return true;
            case NotificationTemplate.ResultOneofCase.Value:
                WriteSuccess(json, n.Value);
                return true;
            case NotificationTemplate.ResultOneofCase.Failure when failureAllowed:
                WriteFailureVariant(json, n.Failure);
                return true;
            default:
                return false;
        }
    }

    // ---- commands ----------------------------------------------------------------------------

    private static Action<Utf8JsonWriter> Input(InputCommandMessage m) => json =>
    {
        WriteHeaders(json, m.Headers);
        WriteBytes(json, "payload", m.Value?.Content ?? ByteString.Empty);
        json.WriteString("name", m.Name);
    };

    private static Action<Utf8JsonWriter>? Output(OutputCommandMessage m) => m.ResultCase switch
    {
        OutputCommandMessage.ResultOneofCase.Value => json => WriteOutcome(json, "result", m.Value, null, m.Name),
        OutputCommandMessage.ResultOneofCase.Failure => json => WriteOutcome(json, "result", null, m.Failure, m.Name),
        _ => null,
    };

    private static Action<Utf8JsonWriter> GetLazyState(GetLazyStateCommandMessage m)
    {
        var key = StateKey(m.Key);
        return json =>
        {
            json.WriteString("key", key);
            json.WriteNumber("completion_id", m.ResultCompletionId);
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter> SetState(SetStateCommandMessage m)
    {
        var key = StateKey(m.Key);
        return json =>
        {
            json.WriteString("key", key);
            WriteBytes(json, "value", m.Value?.Content ?? ByteString.Empty);
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter> ClearState(ClearStateCommandMessage m)
    {
        var key = StateKey(m.Key);
        return json =>
        {
            json.WriteString("key", key);
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter> ClearAllState(ClearAllStateCommandMessage m) => json => json.WriteString("name", m.Name);

    private static Action<Utf8JsonWriter> GetLazyStateKeys(GetLazyStateKeysCommandMessage m) => json =>
    {
        json.WriteNumber("completion_id", m.ResultCompletionId);
        json.WriteString("name", m.Name);
    };

    private static Action<Utf8JsonWriter>? GetEagerState(GetEagerStateCommandMessage m)
    {
        var key = StateKey(m.Key);
        return m.ResultCase switch
        {
            GetEagerStateCommandMessage.ResultOneofCase.Void => json =>
            {
                json.WriteString("key", key);
                json.WriteString("result", "Void");
                json.WriteString("name", m.Name);
            },
            GetEagerStateCommandMessage.ResultOneofCase.Value => json =>
            {
                json.WriteString("key", key);
                json.WritePropertyName("result");
                WriteSuccess(json, m.Value);
                json.WriteString("name", m.Name);
            },
            _ => null,
        };
    }

    private static Action<Utf8JsonWriter> GetEagerStateKeys(GetEagerStateKeysCommandMessage m)
    {
        var keys = (m.Value?.Keys ?? []).Select(StateKey).ToList();
        return json =>
        {
            json.WriteStartArray("state_keys");
            foreach (var key in keys)
            {
                json.WriteStringValue(key);
            }

            json.WriteEndArray();
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter> GetPromise(GetPromiseCommandMessage m) => Promise(m.Key, m.ResultCompletionId, m.Name);

    private static Action<Utf8JsonWriter> PeekPromise(PeekPromiseCommandMessage m) => Promise(m.Key, m.ResultCompletionId, m.Name);

    private static Action<Utf8JsonWriter> Promise(string key, uint completionId, string name) => json =>
    {
        json.WriteString("key", key);
        json.WriteNumber("completion_id", completionId);
        json.WriteString("name", name);
    };

    private static Action<Utf8JsonWriter>? CompletePromise(CompletePromiseCommandMessage m)
    {
        if (m.CompletionCase == CompletePromiseCommandMessage.CompletionOneofCase.None)
        {
            return null;
        }

        return json =>
        {
            json.WriteString("key", m.Key);
            json.WritePropertyName("value");
            if (m.CompletionCase == CompletePromiseCommandMessage.CompletionOneofCase.CompletionValue)
            {
                WriteSuccess(json, m.CompletionValue);
            }
            else
            {
                WriteFailureVariant(json, m.CompletionFailure);
            }

            json.WriteNumber("completion_id", m.ResultCompletionId);
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter> Sleep(SleepCommandMessage m) => json =>
    {
        json.WriteNumber("wake_up_time", m.WakeUpTime);
        json.WriteNumber("completion_id", m.ResultCompletionId);
        json.WriteString("name", m.Name);
    };
}
