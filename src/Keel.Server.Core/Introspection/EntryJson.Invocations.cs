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

/// <summary>Entries that reach other invocations: calls and sends (with their targets and retention), signals, attach and get-output, awakeables.</summary>
public static partial class EntryJson
{
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
}
