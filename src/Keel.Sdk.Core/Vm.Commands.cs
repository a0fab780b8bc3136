using Google.Protobuf;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

/// <summary>Timers, calls, sends, awakeables, signals, promises, invocation control and output.</summary>
public sealed partial class Vm
{
    private readonly List<NotificationHandle> _childCallIds = [];

    public NotificationHandle SysSleep(DateTimeOffset wakeUpTime, string? name = null)
    {
        var completionId = NextCompletionId();
        var command = new SleepCommandMessage
        {
            WakeUpTime = (ulong)Math.Max(0, wakeUpTime.ToUnixTimeMilliseconds()),
            ResultCompletionId = completionId,
            Name = name ?? string.Empty,
        };

        // The wake-up time depends on the attempt's clock: only the name and ids must match.
        Journal(command, command.Name, (j, i) =>
            ((SleepCommandMessage)j).Name == ((SleepCommandMessage)i).Name
            && ((SleepCommandMessage)j).ResultCompletionId == ((SleepCommandMessage)i).ResultCompletionId);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public CallHandles SysCall(CallTarget target, ReadOnlyMemory<byte> input, CallOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var invocationIdCompletion = NextCompletionId();
        var resultCompletion = NextCompletionId();
        var command = new CallCommandMessage
        {
            ServiceName = target.Service,
            HandlerName = target.Handler,
            Parameter = ByteString.CopyFrom(input.Span),
            Key = target.Key ?? string.Empty,
            InvocationIdNotificationIdx = invocationIdCompletion,
            ResultCompletionId = resultCompletion,
            Name = options?.Name ?? string.Empty,
        };
        AddHeaders(command.Headers, options);
        if (options?.IdempotencyKey is { } idempotencyKey)
        {
            command.IdempotencyKey = idempotencyKey;
        }

        Journal(command, command.Name);
        var handles = new CallHandles(
            NewHandle(NotificationId.Completion(invocationIdCompletion)),
            NewHandle(NotificationId.Completion(resultCompletion)));
        _childCallIds.Add(handles.InvocationId);
        return handles;
    }

    public NotificationHandle SysSend(CallTarget target, ReadOnlyMemory<byte> input, DateTimeOffset? invokeTime = null, CallOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        var invocationIdCompletion = NextCompletionId();
        var command = new OneWayCallCommandMessage
        {
            ServiceName = target.Service,
            HandlerName = target.Handler,
            Parameter = ByteString.CopyFrom(input.Span),
            Key = target.Key ?? string.Empty,
            InvokeTime = invokeTime is { } at ? (ulong)Math.Max(0, at.ToUnixTimeMilliseconds()) : 0,
            InvocationIdNotificationIdx = invocationIdCompletion,
            Name = options?.Name ?? string.Empty,
        };
        AddHeaders(command.Headers, options);
        if (options?.IdempotencyKey is { } idempotencyKey)
        {
            command.IdempotencyKey = idempotencyKey;
        }

        // invoke_time is computed from the attempt's clock, so it is not compared on replay.
        Journal(command, command.Name, (j, i) =>
        {
            var journaled = ((OneWayCallCommandMessage)j).Clone();
            journaled.InvokeTime = ((OneWayCallCommandMessage)i).InvokeTime;
            return journaled.Equals(i);
        });
        return NewHandle(NotificationId.Completion(invocationIdCompletion));
    }

    public (string AwakeableId, NotificationHandle Handle) SysAwakeable()
    {
        EnsureCanIssueCommand();
        if (Start.Id.Length != Protocol.Ids.InvocationId.ByteLength)
        {
            // The awakeable id embeds the invocation id; a runtime that sent no proper one broke the protocol.
            throw Fail(571, $"StartMessage.id has {Start.Id.Length} bytes, not an invocation id ({Protocol.Ids.InvocationId.ByteLength} bytes): no awakeable id can be made from it.");
        }

        var signal = _nextSignalId++;
        var id = new AwakeableId(Protocol.Ids.InvocationId.FromBytes(Start.Id.Span), signal);
        return (id.ToString(), NewHandle(NotificationId.Signal(signal)));
    }

    public void SysCompleteAwakeable(string awakeableId, CompletionValue result)
    {
        var command = new CompleteAwakeableCommandMessage { AwakeableId = awakeableId };
        switch (result)
        {
            case CompletionValue.Success s: command.Value = FailureConversions.ToValue(s.Value); break;
            case CompletionValue.Failure f: command.Failure = FailureConversions.ToProto(f.Error); break;
        }

        Journal(command, string.Empty);
    }

    public NotificationHandle SysNamedSignal(string signalName)
    {
        EnsureCanIssueCommand();
        return NewHandle(NotificationId.NamedSignal(signalName));
    }

    public void SysCompleteNamedSignal(string targetInvocationId, string signalName, CompletionValue result)
    {
        var command = new SendSignalCommandMessage { TargetInvocationId = targetInvocationId, Name = signalName };
        switch (result)
        {
            case CompletionValue.Success s: command.Value = FailureConversions.ToValue(s.Value); break;
            case CompletionValue.Failure f: command.Failure = FailureConversions.ToProto(f.Error); break;
        }

        Journal(command, string.Empty);
    }

    public NotificationHandle SysGetPromise(string key)
    {
        var completionId = NextCompletionId();
        Journal(new GetPromiseCommandMessage { Key = key, ResultCompletionId = completionId }, key);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public NotificationHandle SysPeekPromise(string key)
    {
        var completionId = NextCompletionId();
        Journal(new PeekPromiseCommandMessage { Key = key, ResultCompletionId = completionId }, key);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public NotificationHandle SysCompletePromise(string key, CompletionValue result)
    {
        var completionId = NextCompletionId();
        var command = new CompletePromiseCommandMessage { Key = key, ResultCompletionId = completionId };
        switch (result)
        {
            case CompletionValue.Success s: command.CompletionValue = FailureConversions.ToValue(s.Value); break;
            case CompletionValue.Failure f: command.CompletionFailure = FailureConversions.ToProto(f.Error); break;
        }

        Journal(command, key);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public void SysCancelInvocation(string targetInvocationId) =>
        Journal(CancelSignal(targetInvocationId), string.Empty);

    private static SendSignalCommandMessage CancelSignal(string target) =>
        new() { TargetInvocationId = target, Idx = 1, Void = new Unit() };

    public NotificationHandle SysAttachInvocation(InvocationTarget target)
    {
        var completionId = NextCompletionId();
        var command = new AttachInvocationCommandMessage { ResultCompletionId = completionId };
        SetTarget(target, id => command.InvocationId = id, w => command.WorkflowTarget = w, i => command.IdempotentRequestTarget = i);
        Journal(command, string.Empty);
        return NewHandle(NotificationId.Completion(completionId));
    }

    public NotificationHandle SysGetInvocationOutput(InvocationTarget target)
    {
        var completionId = NextCompletionId();
        var command = new GetInvocationOutputCommandMessage { ResultCompletionId = completionId };
        SetTarget(target, id => command.InvocationId = id, w => command.WorkflowTarget = w, i => command.IdempotentRequestTarget = i);
        Journal(command, string.Empty);
        return NewHandle(NotificationId.Completion(completionId));
    }

    /// <summary>Attach and GetInvocationOutput share the target oneof but not a type: set it through callbacks.</summary>
    private static void SetTarget(InvocationTarget target, Action<string> byId, Action<WorkflowTarget> workflow, Action<IdempotentRequestTarget> idempotent)
    {
        switch (target)
        {
            case InvocationTarget.ById t: byId(t.InvocationId); break;
            case InvocationTarget.Workflow w: workflow(ToProto(w)); break;
            case InvocationTarget.Idempotent i: idempotent(ToProto(i)); break;
        }
    }

    public void SysWriteOutput(CompletionValue result)
    {
        var command = new OutputCommandMessage();
        switch (result)
        {
            case CompletionValue.Success s: command.Value = FailureConversions.ToValue(s.Value); break;
            case CompletionValue.Failure f: command.Failure = FailureConversions.ToProto(f.Error); break;
        }

        Journal(command, string.Empty);
    }

    public void SysEnd()
    {
        EnsureCanIssueCommand();
        WriteFinal(new EndMessage());
    }

    private static WorkflowTarget ToProto(InvocationTarget.Workflow w) => new() { WorkflowName = w.Name, WorkflowKey = w.Key };

    private static IdempotentRequestTarget ToProto(InvocationTarget.Idempotent i)
    {
        var target = new IdempotentRequestTarget { ServiceName = i.Service, HandlerName = i.Handler, IdempotencyKey = i.IdempotencyKey };
        if (i.Key is not null)
        {
            target.ServiceKey = i.Key;
        }

        return target;
    }

    private static void AddHeaders(Google.Protobuf.Collections.RepeatedField<Header> headers, CallOptions? options)
    {
        if (options?.Headers is { } extra)
        {
            headers.AddRange(extra.Select(h => new Header { Key = h.Key, Value = h.Value }));
        }
    }
}
