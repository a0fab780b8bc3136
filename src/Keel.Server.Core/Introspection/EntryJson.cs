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
public static class EntryJson
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

    private static Action<Utf8JsonWriter>? Call(CallCommandMessage m, Context context)
    {
        var request = Request(new OutgoingCall(m.ServiceName, m.HandlerName, m.Key, m.Parameter, m.Headers,
            m.HasIdempotencyKey ? m.IdempotencyKey : null, m.HasScope ? m.Scope : null, m.HasLimitKey ? m.LimitKey : null), m.InvocationIdNotificationIdx, context);
        return request is null ? null : json =>
        {
            request(json);
            json.WriteNumber("invocation_id_completion_id", m.InvocationIdNotificationIdx);
            json.WriteNumber("result_completion_id", m.ResultCompletionId);
            json.WriteString("name", m.Name);
        };
    }

    private static Action<Utf8JsonWriter>? OneWayCall(OneWayCallCommandMessage m, Context context)
    {
        var request = Request(new OutgoingCall(m.ServiceName, m.HandlerName, m.Key, m.Parameter, m.Headers,
            m.HasIdempotencyKey ? m.IdempotencyKey : null, m.HasScope ? m.Scope : null, m.HasLimitKey ? m.LimitKey : null), m.InvocationIdNotificationIdx, context);
        return request is null ? null : json =>
        {
            request(json);
            json.WriteNumber("invoke_time", m.InvokeTime);
            json.WriteNumber("invocation_id_completion_id", m.InvocationIdNotificationIdx);
            json.WriteString("name", m.Name);
        };
    }

    private sealed record OutgoingCall(
        string Service, string Handler, string Key, ByteString Parameter, RepeatedField<Header> Headers,
        string? IdempotencyKey, string? Scope, string? LimitKey);

    /// <summary>
    /// A call's <c>request</c>: the id of the invocation it started (from its invocation-id notification;
    /// none yet → no JSON), the target with its kind, an empty trace context, and the retention the
    /// target's settings give it.
    /// </summary>
    private static Action<Utf8JsonWriter>? Request(OutgoingCall call, uint idNotification, Context context)
    {
        if (context.CalledIds?.GetValueOrDefault(idNotification) is not { } calledText || !InvocationId.TryParse(calledText, out var calledId))
        {
            return null;
        }

        var (serviceType, handlerType, service, handler) = KindsOf(call, context.Schema);
        var (completion, journal) = Retention(serviceType, handlerType, service, handler, call.IdempotencyKey is not null);
        return json =>
        {
            json.WriteStartObject("request");
            json.WriteString("invocation_id", calledId.ToString());
            json.WriteStartObject("invocation_target");
            json.WriteStartObject(serviceType switch { ServiceType.VirtualObject => "VirtualObject", ServiceType.Workflow => "Workflow", _ => "Service" });
            json.WriteString("name", call.Service);
            if (serviceType != ServiceType.Service)
            {
                json.WriteString("key", call.Key);
            }

            json.WriteString("handler", call.Handler);
            if (serviceType != ServiceType.Service)
            {
                json.WriteString("handler_ty", handlerType switch
                {
                    HandlerType.Shared => "Shared",
                    HandlerType.Workflow => "Workflow",
                    _ => "Exclusive",
                });
            }

            WriteOptionalString(json, "scope", call.Scope);
            json.WriteEndObject();
            json.WriteEndObject();
            WriteEmptySpanContext(json);
            WriteBytes(json, "parameter", call.Parameter);
            WriteHeaders(json, call.Headers);
            WriteOptionalString(json, "idempotency_key", call.IdempotencyKey);
            WriteDuration(json, "completion_retention_duration", completion);
            WriteDuration(json, "journal_retention_duration", journal);
            if (!string.IsNullOrEmpty(call.LimitKey))
            {
                json.WriteString("limit_key", call.LimitKey);
            }

            json.WriteEndObject();
        };
    }

    /// <summary>The target's service and handler kinds from the schema; without them, a key means an exclusive object handler.</summary>
    private static (ServiceType, HandlerType, ServiceInfo?, HandlerInfo?) KindsOf(OutgoingCall call, ISchemaView? schema)
    {
        if (schema is not null && schema.TryGetService(call.Service, out var service))
        {
            var handler = service.Handlers.GetValueOrDefault(call.Handler);
            var kind = handler?.Kind ?? (service.Type == ServiceType.Workflow ? HandlerType.Shared : HandlerType.Exclusive);
            return (service.Type, kind, service, handler);
        }

        return string.IsNullOrEmpty(call.Key)
            ? (ServiceType.Service, HandlerType.Shared, null, null)
            : (ServiceType.VirtualObject, HandlerType.Exclusive, null, null);
    }

    /// <summary>
    /// As restate-server sets it on a call: a workflow run or an idempotent call keeps its completion for
    /// the workflow / idempotency retention and its journal at most as long; any other call keeps both for
    /// the journal retention (none when that is zero).
    /// </summary>
    private static (TimeSpan Completion, TimeSpan Journal) Retention(ServiceType serviceType, HandlerType handlerType, ServiceInfo? service, HandlerInfo? handler, bool idempotent)
    {
        var journal = handler?.JournalRetention ?? service?.JournalRetention ?? DefaultRetention;
        var workflowRun = serviceType == ServiceType.Workflow && handlerType == HandlerType.Workflow;
        if (workflowRun || idempotent)
        {
            var completion = workflowRun
                ? handler?.WorkflowCompletionRetention ?? service?.WorkflowCompletionRetention ?? DefaultRetention
                : handler?.IdempotencyRetention ?? service?.IdempotencyRetention ?? DefaultRetention;
            return (completion, journal < completion ? journal : completion);
        }

        return (journal, journal);
    }

    private static Action<Utf8JsonWriter>? SendSignal(SendSignalCommandMessage m)
    {
        if (!InvocationId.TryParse(m.TargetInvocationId, out var target) || m.SignalIdCase == SendSignalCommandMessage.SignalIdOneofCase.None
            || m.ResultCase == SendSignalCommandMessage.ResultOneofCase.None)
        {
            return null;
        }

        return json =>
        {
            json.WriteString("target_invocation_id", target.ToString());
            json.WritePropertyName("signal_id");
            if (m.SignalIdCase == SendSignalCommandMessage.SignalIdOneofCase.Idx)
            {
                WriteSignalIndex(json, m.Idx);
            }
            else
            {
                WriteSignalName(json, m.Name);
            }

            json.WritePropertyName("result");
            switch (m.ResultCase)
            {
                case SendSignalCommandMessage.ResultOneofCase.Void:
                    json.WriteStringValue("Void");
                    break;
                case SendSignalCommandMessage.ResultOneofCase.Value:
                    WriteSuccess(json, m.Value);
                    break;
                default:
                    WriteFailureVariant(json, m.Failure);
                    break;
            }

            json.WriteString("name", m.EntryName);
        };
    }

    private static Action<Utf8JsonWriter> Run(RunCommandMessage m) => json =>
    {
        json.WriteNumber("completion_id", m.ResultCompletionId);
        json.WriteString("name", m.Name);
    };

    private static Action<Utf8JsonWriter>? AttachInvocation(AttachInvocationCommandMessage m)
    {
        var kind = m.TargetCase switch
        {
            AttachInvocationCommandMessage.TargetOneofCase.InvocationId => TargetKind.InvocationId,
            AttachInvocationCommandMessage.TargetOneofCase.IdempotentRequestTarget => TargetKind.IdempotentRequest,
            AttachInvocationCommandMessage.TargetOneofCase.WorkflowTarget => TargetKind.Workflow,
            _ => TargetKind.None,
        };
        return Attach(AttachTarget(kind, m.InvocationId, m.IdempotentRequestTarget, m.WorkflowTarget), m.ResultCompletionId, m.Name);
    }

    private static Action<Utf8JsonWriter>? GetInvocationOutput(GetInvocationOutputCommandMessage m)
    {
        var kind = m.TargetCase switch
        {
            GetInvocationOutputCommandMessage.TargetOneofCase.InvocationId => TargetKind.InvocationId,
            GetInvocationOutputCommandMessage.TargetOneofCase.IdempotentRequestTarget => TargetKind.IdempotentRequest,
            GetInvocationOutputCommandMessage.TargetOneofCase.WorkflowTarget => TargetKind.Workflow,
            _ => TargetKind.None,
        };
        return Attach(AttachTarget(kind, m.InvocationId, m.IdempotentRequestTarget, m.WorkflowTarget), m.ResultCompletionId, m.Name);
    }

    /// <summary>
    /// An attach / get-output target: an invocation id, an idempotent request or a workflow run (the
    /// last two with their partition key, Keel's own).
    /// </summary>
    private static Action<Utf8JsonWriter>? AttachTarget(TargetKind kind, string invocationId, IdempotentRequestTarget? idempotent, WorkflowTarget? workflow)
    {
        switch (kind)
        {
            case TargetKind.InvocationId when InvocationId.TryParse(invocationId, out var id):
                return json => json.WriteString("InvocationId", id.ToString());
            case TargetKind.IdempotentRequest when idempotent is not null:
                return json =>
                {
                    var key = idempotent.HasServiceKey ? idempotent.ServiceKey : null;
                    json.WriteStartObject("IdempotentRequest");
                    json.WriteString("service_name", idempotent.ServiceName);
                    WriteOptionalString(json, "service_key", key);
                    json.WriteString("service_handler", idempotent.HandlerName);
                    json.WriteString("idempotency_key", idempotent.IdempotencyKey);
                    WriteOptionalString(json, "scope", idempotent.HasScope ? idempotent.Scope : null);
                    json.WriteNumber("partition_key", PartitionMap.IdempotentKeyOf(idempotent.ServiceName, key, idempotent.HandlerName, idempotent.IdempotencyKey));
                    json.WriteEndObject();
                };
            case TargetKind.Workflow when workflow is not null:
                return json =>
                {
                    json.WriteStartObject("Workflow");
                    json.WriteString("service_name", workflow.WorkflowName);
                    json.WriteString("key", workflow.WorkflowKey);
                    json.WriteNumber("partition_key", PartitionMap.KeyOf(workflow.WorkflowName, workflow.WorkflowKey));
                    WriteOptionalString(json, "scope", workflow.HasScope ? workflow.Scope : null);
                    json.WriteEndObject();
                };
            default:
                return null;
        }
    }

    private static Action<Utf8JsonWriter>? Attach(Action<Utf8JsonWriter>? target, uint completionId, string name) => target is null ? null : json =>
    {
        json.WriteStartObject("target");
        target(json);
        json.WriteEndObject();
        json.WriteNumber("completion_id", completionId);
        json.WriteString("name", name);
    };

    private static Action<Utf8JsonWriter>? CompleteAwakeable(CompleteAwakeableCommandMessage m)
    {
        if (AwakeableText(m.AwakeableId) is not { } id || m.ResultCase == CompleteAwakeableCommandMessage.ResultOneofCase.None)
        {
            return null;
        }

        return json =>
        {
            json.WriteString("id", id);
            WriteOutcome(json, "result", m.ResultCase == CompleteAwakeableCommandMessage.ResultOneofCase.Value ? m.Value : null,
                m.ResultCase == CompleteAwakeableCommandMessage.ResultOneofCase.Failure ? m.Failure : null, m.Name);
        };
    }

    /// <summary>
    /// An awakeable id in its canonical text: the signal form (<c>sign_1…</c>) or the older entry form
    /// (<c>prom_1…</c>), which has the same bytes after its prefix; anything else is not an awakeable id.
    /// </summary>
    private static string? AwakeableText(string text)
    {
        const string OldPrefix = "prom_1";
        if (AwakeableId.TryParse(text, out var id))
        {
            return id.ToString();
        }

        return text.StartsWith(OldPrefix, StringComparison.Ordinal) && AwakeableId.TryParse(AwakeableId.Prefix + text[OldPrefix.Length..], out var old)
            ? OldPrefix + old.ToString()[AwakeableId.Prefix.Length..]
            : null;
    }

    // ---- pieces ------------------------------------------------------------------------------

    /// <summary>Restate's variant name: the message type's name less its suffix (<c>SleepCommand</c> → <c>Sleep</c>).</summary>
    private static string KindName(MessageType type, string suffix)
    {
        var name = type.ToString();
        return name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : name;
    }

    /// <summary>State keys are bytes on the wire but text in Restate's entries: keys that are not UTF-8 have no JSON.</summary>
    private static string StateKey(ByteString key) => StrictUtf8.GetString(key.Span);

    private static bool WriteStateKeys(Utf8JsonWriter json, string property, StateKeys keys)
    {
        var texts = keys.Keys.Select(StateKey).ToList();
        json.WriteStartArray(property);
        foreach (var key in texts)
        {
            json.WriteStringValue(key);
        }

        json.WriteEndArray();
        return true;
    }

    private static bool WriteInvocationId(Utf8JsonWriter json, string property, string text)
    {
        if (!InvocationId.TryParse(text, out var id))
        {
            return false;
        }

        json.WriteString(property, id.ToString());
        return true;
    }

    /// <summary>A success-or-failure result followed by the entry's name (Output, CompleteAwakeable).</summary>
    private static void WriteOutcome(Utf8JsonWriter json, string property, Value? value, ProtoFailure? failure, string name)
    {
        json.WritePropertyName(property);
        if (failure is not null)
        {
            WriteFailureVariant(json, failure);
        }
        else
        {
            WriteSuccess(json, value ?? new Value());
        }

        json.WriteString("name", name);
    }

    private static void WriteSuccess(Utf8JsonWriter json, Value value)
    {
        json.WriteStartObject();
        WriteBytes(json, "Success", value.Content);
        json.WriteEndObject();
    }

    private static void WriteFailureVariant(Utf8JsonWriter json, ProtoFailure failure)
    {
        json.WriteStartObject();
        json.WriteStartObject("Failure");
        // Restate's error codes are 16-bit; a wider one reads as 500 (internal).
        json.WriteNumber("code", failure.Code <= ushort.MaxValue ? failure.Code : 500u);
        json.WriteString("message", failure.Message);
        if (failure.Metadata.Count > 0)
        {
            json.WriteStartArray("metadata");
            foreach (var entry in failure.Metadata)
            {
                json.WriteStartObject();
                json.WriteString("key", entry.Key);
                json.WriteString("value", entry.Value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSignalIndex(Utf8JsonWriter json, uint index)
    {
        json.WriteStartObject();
        json.WriteNumber("Index", index);
        json.WriteEndObject();
    }

    private static void WriteSignalName(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject();
        json.WriteString("Name", name);
        json.WriteEndObject();
    }

    private static void WriteHeaders(Utf8JsonWriter json, RepeatedField<Header> headers)
    {
        json.WriteStartArray("headers");
        foreach (var header in headers)
        {
            json.WriteStartObject();
            json.WriteString("name", header.Key);
            json.WriteString("value", header.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Bytes as Restate's serde writes them: an array of numbers.</summary>
    private static void WriteBytes(Utf8JsonWriter json, string property, ByteString bytes)
    {
        json.WriteStartArray(property);
        foreach (var b in bytes.Span)
        {
            json.WriteNumberValue(b);
        }

        json.WriteEndArray();
    }

    private static void WriteOptionalString(Utf8JsonWriter json, string property, string? value)
    {
        if (value is null)
        {
            json.WriteNull(property);
        }
        else
        {
            json.WriteString(property, value);
        }
    }

    private static void WriteDuration(Utf8JsonWriter json, string property, TimeSpan duration)
    {
        var ticks = Math.Max(0, duration.Ticks);
        json.WriteStartObject(property);
        json.WriteNumber("secs", ticks / TimeSpan.TicksPerSecond);
        json.WriteNumber("nanos", ticks % TimeSpan.TicksPerSecond * 100);
        json.WriteEndObject();
    }

    /// <summary>No trace context: all-zero ids, no flags, not remote, no state, no cause (what restate-server records without tracing).</summary>
    private static void WriteEmptySpanContext(Utf8JsonWriter json)
    {
        json.WriteStartObject("span_context");
        json.WriteStartObject("span_context");
        json.WriteStartArray("trace_id");
        for (var i = 0; i < 16; i++)
        {
            json.WriteNumberValue(0);
        }

        json.WriteEndArray();
        json.WriteStartArray("span_id");
        for (var i = 0; i < 8; i++)
        {
            json.WriteNumberValue(0);
        }

        json.WriteEndArray();
        json.WriteNumber("trace_flags", 0);
        json.WriteBoolean("is_remote", false);
        json.WriteString("trace_state", string.Empty);
        json.WriteEndObject();
        json.WriteNull("cause");
        json.WriteEndObject();
    }
}
