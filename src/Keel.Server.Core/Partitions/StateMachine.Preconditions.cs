using Google.Protobuf;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>
/// What a command may do from where it is issued (the service protocol's rules). A violation fails the attempt
/// (retried like any failure: the code or the registration may be fixed meanwhile); the command is
/// not journaled.
/// </summary>
public sealed partial class StateMachine
{
    private static string? PreconditionProblem(ApplyContext c, InvocationRecord record, IMessage command)
    {
        var canRead = record.ServiceType != ServiceType.Service;
        var canWrite = canRead && record.HandlerKind != HandlerType.Shared;
        switch (command)
        {
            case GetLazyStateCommandMessage or GetLazyStateKeysCommandMessage or GetEagerStateCommandMessage or GetEagerStateKeysCommandMessage when !canRead:
                return "A service handler has no state: only objects and workflows can read state.";
            case SetStateCommandMessage or ClearStateCommandMessage or ClearAllStateCommandMessage when !canWrite:
                return canRead
                    ? $"Handler {record.Service}/{record.Handler} is shared: it cannot write state."
                    : "A service handler has no state: only objects and workflows can write state.";
            case GetPromiseCommandMessage or PeekPromiseCommandMessage or CompletePromiseCommandMessage when record.ServiceType != ServiceType.Workflow:
                return "Durable promises exist only in workflows.";
            case CallCommandMessage call:
                return TargetProblem(c, call.ServiceName, call.HandlerName, call.Key, call.HasIdempotencyKey ? call.IdempotencyKey : null);
            case OneWayCallCommandMessage send:
                return TargetProblem(c, send.ServiceName, send.HandlerName, send.Key, send.HasIdempotencyKey ? send.IdempotencyKey : null);
            case SendSignalCommandMessage signal when !InvocationId.TryParse(signal.TargetInvocationId, out _):
                return $"'{signal.TargetInvocationId}' is not an invocation id.";
            case CompleteAwakeableCommandMessage awakeable when !AwakeableId.TryParse(awakeable.AwakeableId, out _):
                return $"'{awakeable.AwakeableId}' is not an awakeable id.";
            case AttachInvocationCommandMessage { TargetCase: AttachInvocationCommandMessage.TargetOneofCase.InvocationId } attach when !InvocationId.TryParse(attach.InvocationId, out _):
                return $"'{attach.InvocationId}' is not an invocation id.";
            case GetInvocationOutputCommandMessage { TargetCase: GetInvocationOutputCommandMessage.TargetOneofCase.InvocationId } output when !InvocationId.TryParse(output.InvocationId, out _):
                return $"'{output.InvocationId}' is not an invocation id.";
            default:
                return null;
        }
    }

    private static string? TargetProblem(ApplyContext c, string service, string handler, string key, string? idempotencyKey)
    {
        if (!c.Schema.TryGetHandler(service, handler, out var target, out _))
        {
            return $"No handler {service}/{handler} is registered.";
        }

        if (target.Type == ServiceType.Service && key.Length > 0)
        {
            return $"{service} is a service: a call to it takes no key.";
        }

        return idempotencyKey is { Length: 0 } ? "An idempotency key, when given, must not be empty." : null;
    }
}
