using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>Attach and get-output from a handler: another invocation's result, now or when it completes.</summary>
public sealed partial class StateMachine
{
    private static ResultTarget? AttachTarget(AttachInvocationCommandMessage.TargetOneofCase kind, string invocationId, IdempotentRequestTarget? idempotent, WorkflowTarget? workflow) => kind switch
    {
        AttachInvocationCommandMessage.TargetOneofCase.InvocationId => new ResultTarget(invocationId),
        AttachInvocationCommandMessage.TargetOneofCase.IdempotentRequestTarget when idempotent is not null =>
            new ResultTarget(null, idempotent.ServiceName, idempotent.HasServiceKey ? idempotent.ServiceKey : null, idempotent.HandlerName, idempotent.IdempotencyKey),
        AttachInvocationCommandMessage.TargetOneofCase.WorkflowTarget when workflow is not null =>
            new ResultTarget(null, workflow.WorkflowName, workflow.WorkflowKey),
        _ => null,
    };

    private void RequestResult(ApplyContext c, InvocationRecord caller, ResultTarget? target, uint completionId, bool wait)
    {
        var type = wait ? MessageType.AttachInvocationCompletion : MessageType.GetInvocationOutputCompletion;
        if (target is null)
        {
            Notify(c, caller, type, ResultNotification(completionId, ResultRecord.Fail(400, "The attach target is missing.")));
            return;
        }

        SendTo(c, _map.PartitionOf(PartitionKeyOf(target)), new RemoteOp.GetResult(target, caller.Id.ToString(), completionId, wait));
    }

    private static ulong PartitionKeyOf(ResultTarget target) =>
        target.InvocationId is { } id ? InvocationId.Parse(id).PartitionKey
        : target.IdempotencyKey is { } ik ? PartitionMap.IdempotentKeyOf(target.Service!, target.Key, target.Handler!, ik)
        : PartitionMap.KeyOf(target.Service!, target.Key ?? string.Empty);

    /// <summary>
    /// In the target's partition: answer with the result, register the caller (attach), or say "not
    /// ready" with void (output). An unknown (or already forgotten) target answers 404 "not found",
    /// as restate-server 1.7 does for both.
    /// </summary>
    private void ApplyGetResult(ApplyContext c, RemoteOp.GetResult get)
    {
        var type = get.Wait ? MessageType.AttachInvocationCompletion : MessageType.GetInvocationOutputCompletion;
        var t = get.Target;
        var id = t.InvocationId is { } text ? InvocationId.Parse(text)
            : t.IdempotencyKey is { } ik ? c.Tables.IdempotentInvocation(Keys.Idempotency(t.Service!, t.Key, t.Handler!, ik))
            : c.Tables.IdempotentInvocation(Keys.WorkflowRun(t.Service!, t.Key));
        var record = id is { } found ? c.Tables.GetInvocation(found) : null;
        if (record is null)
        {
            NotifyAnywhere(c, get.CallerId, type, ResultNotification(get.CompletionId, ResultRecord.Fail(404, "not found")));
        }
        else if (record.Result is { } result)
        {
            NotifyAnywhere(c, get.CallerId, type, ResultNotification(get.CompletionId, result));
        }
        else if (!get.Wait)
        {
            NotifyAnywhere(c, get.CallerId, type, new NotificationTemplate { CompletionId = get.CompletionId, Void = new Unit() });
        }
        else
        {
            record.AttachedCallers.Add(new CallerRef(get.CallerId, get.CompletionId, (ushort)type));
            c.Tables.PutInvocation(record);
        }
    }
}
