using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>What the SDK reported during an attempt: commands, run proposals, suspension, end, failure.</summary>
public sealed partial class StateMachine
{
    private void OnEffect(ApplyContext c, InvokerEffect effect)
    {
        var record = c.Tables.GetInvocation(effect.Id);

        // Effects of an attempt that is no longer current (killed, retried, completed) are dropped.
        if (record is null || record.Phase != InvocationPhase.Invoked || record.Attempt != effect.Attempt)
        {
            return;
        }

        switch (effect)
        {
            case InvokerEffect.Command command: OnCommand(c, record, command); break;
            case InvokerEffect.RunProposal proposal: OnRunProposal(c, record, proposal); break;
            case InvokerEffect.Suspended suspended: OnSuspended(c, record, suspended); break;
            case InvokerEffect.Ended: OnEnded(c, record); break;
            case InvokerEffect.Failed failed: OnFailed(c, record, failed.Failure); break;
        }
    }

    private void OnCommand(ApplyContext c, InvocationRecord record, InvokerEffect.Command command)
    {
        var payload = command.Entry.Payload;
        var message = MessageCodec.Decode(new Frame(new FrameHeader(command.Entry.Type, (uint)payload.Length), payload));
        if (PreconditionProblem(c, record, message) is { } problem)
        {
            OnFailed(c, record, new AttemptFailure(500, problem, RelatedCommandIndex: command.CommandIndex, RelatedCommandType: (uint)command.Entry.Type));
            return;
        }

        var commandIndex = record.CommandCount;
        c.Tables.AppendJournal(record, command.Entry.Type, payload.Span);
        record.RetryCountSinceLastStoredEntry = 0;
        record.LastStoredEntryAt = c.Now;
        record.ModifiedAt = c.Now;
        switch (message)
        {
            case OutputCommandMessage output:
                record.PendingOutput = output.ResultCase == OutputCommandMessage.ResultOneofCase.Value
                    ? ResultRecord.Ok(output.Value.Content.ToByteArray())
                    : ResultRecord.Fail((ushort)output.Failure.Code, output.Failure.Message, Metadata(output.Failure));
                break;
            case GetLazyStateCommandMessage get:
                var value = record.IsKeyed ? c.Tables.GetState(record.Service, record.Key!, get.Key.ToStringUtf8()) : null;
                Notify(c, record, MessageType.GetLazyStateCompletion, value is null
                    ? new NotificationTemplate { CompletionId = get.ResultCompletionId, Void = new Unit() }
                    : new NotificationTemplate { CompletionId = get.ResultCompletionId, Value = new Value { Content = ByteString.CopyFrom(value) } });
                break;
            case GetLazyStateKeysCommandMessage keys:
                var stateKeys = new StateKeys();
                if (record.IsKeyed)
                {
                    stateKeys.Keys.AddRange(c.Tables.AllState(record.Service, record.Key!).Select(kv => ByteString.CopyFromUtf8(kv.Key)));
                }

                Notify(c, record, MessageType.GetLazyStateKeysCompletion, new NotificationTemplate { CompletionId = keys.ResultCompletionId, StateKeys = stateKeys });
                break;
            case SetStateCommandMessage set when record.IsKeyed:
                c.Tables.SetState(record.Service, record.Key!, set.Key.ToStringUtf8(), set.Value.Content.ToByteArray());
                break;
            case ClearStateCommandMessage clear when record.IsKeyed:
                c.Tables.ClearState(record.Service, record.Key!, clear.Key.ToStringUtf8());
                break;
            case ClearAllStateCommandMessage when record.IsKeyed:
                c.Tables.ClearAllState(record.Service, record.Key!);
                break;
            case SleepCommandMessage sleep:
                Schedule(c, ProtocolTime.FromUnixMilliseconds(sleep.WakeUpTime), record.Id, Storage.TimerKind.Sleep, sleep.ResultCompletionId);
                break;
            case CallCommandMessage call:
                var callee = CreateChild(c, record, commandIndex, call.ServiceName, call.HandlerName, call.Key, call.Parameter, call.Headers, call.HasIdempotencyKey ? call.IdempotencyKey : null, call.ResultCompletionId, null,
                    command.Trace ?? record.Trace);
                c.Actions.Add(new PartitionAction.CallAwaited(record.Id, Target(record), call.ResultCompletionId, callee, CallTarget(c, call)));
                Notify(c, record, MessageType.CallInvocationIdCompletion, new NotificationTemplate { CompletionId = call.InvocationIdNotificationIdx, InvocationId = callee });
                break;
            case OneWayCallCommandMessage send:
                DateTimeOffset? at = send.InvokeTime == 0 ? null : ProtocolTime.FromUnixMilliseconds(send.InvokeTime);
                var sent = CreateChild(c, record, commandIndex, send.ServiceName, send.HandlerName, send.Key, send.Parameter, send.Headers, send.HasIdempotencyKey ? send.IdempotencyKey : null, null, at,
                    command.Trace ?? record.Trace);
                Notify(c, record, MessageType.CallInvocationIdCompletion, new NotificationTemplate { CompletionId = send.InvocationIdNotificationIdx, InvocationId = sent });
                break;
            case CompleteAwakeableCommandMessage awakeable when AwakeableId.TryParse(awakeable.AwakeableId, out var target):
                var signalNotification = new NotificationTemplate { SignalId = target.SignalIndex };
                if (awakeable.ResultCase == CompleteAwakeableCommandMessage.ResultOneofCase.Value)
                {
                    signalNotification.Value = awakeable.Value;
                }
                else
                {
                    signalNotification.Failure = awakeable.Failure;
                }

                NotifyAnywhere(c, target.InvocationId.ToString(), MessageType.SignalNotification, signalNotification);
                break;
            case SendSignalCommandMessage signal when InvocationId.TryParse(signal.TargetInvocationId, out var targetId):
                OnSendSignal(c, targetId, signal);
                break;
            case GetPromiseCommandMessage or PeekPromiseCommandMessage or CompletePromiseCommandMessage:
                OnPromiseCommand(c, record, message);
                break;
            case AttachInvocationCommandMessage attach:
                RequestResult(c, record, AttachTarget(attach.TargetCase, attach.InvocationId, attach.IdempotentRequestTarget, attach.WorkflowTarget),
                    attach.ResultCompletionId, wait: true);
                break;
            case GetInvocationOutputCommandMessage output:
                RequestResult(c, record, AttachTarget(output.TargetCase switch
                {
                    GetInvocationOutputCommandMessage.TargetOneofCase.InvocationId => AttachInvocationCommandMessage.TargetOneofCase.InvocationId,
                    GetInvocationOutputCommandMessage.TargetOneofCase.IdempotentRequestTarget => AttachInvocationCommandMessage.TargetOneofCase.IdempotentRequestTarget,
                    GetInvocationOutputCommandMessage.TargetOneofCase.WorkflowTarget => AttachInvocationCommandMessage.TargetOneofCase.WorkflowTarget,
                    _ => AttachInvocationCommandMessage.TargetOneofCase.None,
                }, output.InvocationId, output.IdempotentRequestTarget, output.WorkflowTarget), output.ResultCompletionId, wait: false);
                break;
        }

        c.Tables.PutInvocation(record);
    }

    /// <summary>A call's target as operators read it: <c>Service/key/handler</c>, or <c>Service/handler</c> for a service.</summary>
    private static string CallTarget(ApplyContext c, CallCommandMessage call) =>
        c.Schema.TryGetService(call.ServiceName, out var service) && service.Type != ServiceType.Service
            ? $"{call.ServiceName}/{call.Key}/{call.HandlerName}"
            : $"{call.ServiceName}/{call.HandlerName}";

    /// <summary>
    /// Names the child by the caller and the command's index (a re-applied command names the same
    /// child) and hands its creation to the partition that owns it. The child continues
    /// <paramref name="trace"/>: the span of the attempt that issued the command, else the caller's own trace.
    /// </summary>
    private string CreateChild(ApplyContext c, InvocationRecord caller, uint commandIndex, string serviceName, string handlerName, string key, ByteString parameter,
        Google.Protobuf.Collections.RepeatedField<Header> headers, string? idempotencyKey, uint? resultCompletion, DateTimeOffset? at, TraceContext? trace)
    {
        // The precondition check has made sure the target is registered.
        c.Schema.TryGetHandler(serviceName, handlerName, out var service, out var handler);
        var id = InvocationIds.ForChild(caller.Id, commandIndex, serviceName, handlerName, key, service.Type, handler.Kind, idempotencyKey);
        Send(c, id, new RemoteOp.CreateChild(id.ToString(), serviceName, handlerName, key, parameter.ToByteArray(),
            headers.Select(h => KeyValuePair.Create(h.Key, h.Value)).ToList(), idempotencyKey,
            caller.Id.ToString(), resultCompletion, at, trace));
        return id.ToString();
    }

    /// <summary>In the child's partition: deduplicate idempotent requests and workflow runs, else create the invocation.</summary>
    private void ApplyCreateChild(ApplyContext c, RemoteOp.CreateChild create)
    {
        if (!c.Schema.TryGetHandler(create.Service, create.Handler, out var service, out var handler))
        {
            // The caller's partition found the handler registered. Not found here even after reading a shared schema
            // again (see SchemaRegistry.Snapshot): it went since, or this node cannot read the schema. Logged either
            // way, so that a one-way call is not dropped unseen.
            var skipped = $"the call {create.ChildId} to {create.Service}/{create.Handler}";
            if (create.CallerId is { } orphan && create.CallerCompletionId is { } orphanCompletion)
            {
                NotifyAnywhere(c, orphan, MessageType.CallCompletion, ResultNotification(orphanCompletion,
                    ResultRecord.Fail(404, $"No handler {create.Service}/{create.Handler} is registered.")));
                c.Actions.Add(new PartitionAction.RecordSkipped(skipped, "no such handler is registered here; its caller was answered 404"));
            }
            else
            {
                c.Actions.Add(new PartitionAction.RecordSkipped(skipped, "no such handler is registered here; a one-way call, it is dropped"));
            }

            return;
        }

        var dedup = handler.Kind == HandlerType.Workflow ? Storage.Keys.WorkflowRun(create.Service, create.Key)
            : create.IdempotencyKey is { } idempotencyKey ? Storage.Keys.Idempotency(create.Service, create.Key, create.Handler, idempotencyKey)
            : null;
        if (dedup is not null)
        {
            if (c.Tables.IdempotentInvocation(dedup) is { } existing && c.Tables.GetInvocation(existing) is { } previous)
            {
                if (create.CallerId is { } callerId && create.CallerCompletionId is { } completion)
                {
                    if (handler.Kind == HandlerType.Workflow)
                    {
                        NotifyAnywhere(c, callerId, MessageType.CallCompletion, ResultNotification(completion,
                            ResultRecord.Fail(409, "the workflow method was already invoked")));
                    }
                    else if (previous.Result is { } done)
                    {
                        NotifyAnywhere(c, callerId, MessageType.CallCompletion, ResultNotification(completion, done));
                    }
                    else
                    {
                        // Still running: this caller gets the result when it completes.
                        previous.AttachedCallers.Add(new CallerRef(callerId, completion));
                        c.Tables.PutInvocation(previous);
                    }
                }

                return;
            }

            c.Tables.PutIdempotent(dedup, InvocationId.Parse(create.ChildId));
        }

        NewInvocation(c, InvocationId.Parse(create.ChildId), service, handler, create.Key, create.Headers, create.Parameter,
            create.CallerId, create.CallerCompletionId, create.IdempotencyKey, create.InvokeTime, create.Trace);
    }

    private void OnRunProposal(ApplyContext c, InvocationRecord record, InvokerEffect.RunProposal proposal)
    {
        var message = ProposeRunCompletionMessage.Parser.ParseFrom(proposal.Payload.Span);
        var notification = message.ResultCase == ProposeRunCompletionMessage.ResultOneofCase.Value
            ? new NotificationTemplate { CompletionId = message.ResultCompletionId, Value = new Value { Content = message.Value } }
            : new NotificationTemplate { CompletionId = message.ResultCompletionId, Failure = message.Failure };
        c.Tables.AppendJournal(record, MessageType.RunCompletion, notification.ToByteArray());
        record.RetryCountSinceLastStoredEntry = 0;
        record.LastStoredEntryAt = c.Now;
        record.ModifiedAt = c.Now;
        c.Tables.PutInvocation(record);

        // V7 asked for an ack: the SDK already has the value, it only needs to know it is durable.
        var frame = proposal.RequestedAck && record.ProtocolVersion >= 7
            ? MessageCodec.Encode(new ProposeRunCompletionAckMessage { CompletionId = message.ResultCompletionId })
            : FrameEncoder.Encode(MessageType.RunCompletion, notification);
        c.Actions.Add(new PartitionAction.Push(record.Id, record.Attempt, frame));
    }

    private static Dictionary<string, string>? Metadata(Failure failure) =>
        failure.Metadata.Count == 0 ? null : failure.Metadata.ToDictionary(m => m.Key, m => m.Value);

    private static NotificationTemplate ResultNotification(uint completionId, ResultRecord result) => result.Success
        ? new NotificationTemplate { CompletionId = completionId, Value = new Value { Content = ByteString.CopyFrom(result.Value ?? []) } }
        : new NotificationTemplate { CompletionId = completionId, Failure = ToFailure(result) };

    private static Failure ToFailure(ResultRecord result)
    {
        var failure = new Failure { Code = result.Code, Message = result.Message ?? string.Empty };
        if (result.Metadata is not null)
        {
            failure.Metadata.AddRange(result.Metadata.Select(kv => new FailureMetadata { Key = kv.Key, Value = kv.Value }));
        }

        return failure;
    }
}
