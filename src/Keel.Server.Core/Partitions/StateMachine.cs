using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// The partition's functional core: applies one command to the tables and returns the actions to
/// run once the batch is durable. No I/O, no clock reads (time comes in as <c>now</c>), deterministic.
/// </summary>
public sealed partial class StateMachine(ISchemaView schema, RuntimeOptions options, int partition = 0)
{
    public List<PartitionAction> Apply(Tables tables, PartitionCommand command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var context = new ApplyContext(tables, now, [], []);
        switch (command)
        {
            case PartitionCommand.Submit submit: OnSubmit(context, submit); break;
            case PartitionCommand.Effect effect: OnEffect(context, effect.InvokerEffect); break;
            case PartitionCommand.TimerFired timer: OnTimer(context, timer.TimerKey); break;
            case PartitionCommand.CompleteAwakeable awakeable: OnCompleteAwakeable(context, awakeable); break;
            case PartitionCommand.Cancel cancel: OnCancel(context, cancel); break;
            case PartitionCommand.Kill kill: OnKill(context, kill); break;
            case PartitionCommand.Purge purge: OnPurge(context, purge); break;
            case PartitionCommand.GetOutput query: OnGetOutput(context, query); break;
            case PartitionCommand.Recover: OnRecover(context); break;
            case PartitionCommand.Cleanup: OnCleanup(context); break;
            case PartitionCommand.Deliver deliver: OnDeliver(context, deliver); break;
            case PartitionCommand.AckOutbox ack: OnAckOutbox(context, ack); break;
        }

        return context.Actions;
    }

    /// <summary>What one Apply works with.</summary>
    private sealed record ApplyContext(Tables Tables, DateTimeOffset Now, List<PartitionAction> Actions, Dictionary<string, InvocationRecord> Live);

    private void OnSubmit(ApplyContext c, PartitionCommand.Submit submit)
    {
        var request = submit.Request;
        if (!schema.TryGetHandler(request.Service, request.Handler, out var service, out var handler))
        {
            c.Actions.Add(new PartitionAction.Reply(submit.Reply, new InvalidOperationException($"Unknown handler {request.Service}/{request.Handler}")));
            return;
        }

        // Workflow runs and idempotent requests are deduplicated: the same key names the same invocation.
        var dedupKey = handler.Kind == HandlerType.Workflow
            ? Keys.WorkflowRun(request.Service, request.Key)
            : request.IdempotencyKey is { } ik ? Keys.Idempotency(request.Service, request.Key, request.Handler, ik) : null;
        if (dedupKey is not null && c.Tables.IdempotentInvocation(dedupKey) is { } existing)
        {
            var previous = Load(c, InvocationId.Parse(existing));
            if (previous is not null)
            {
                c.Actions.Add(new PartitionAction.Reply(submit.Reply, new SubmitResult(InvocationId.Parse(existing), SubmitStatus.PreviouslyAccepted,
                    previous.Result is { } r ? ToResult(r) : null)));
                return;
            }
        }

        var id = dedupKey is not null
            ? InvocationId.Deterministic(
                handler.Kind == HandlerType.Workflow ? PartitionKeyOf(request.Service, request.Key) : IdempotentPartitionKey(request.Service, request.Key, request.Handler, request.IdempotencyKey!),
                "ik", request.Service, request.Key ?? string.Empty, request.Handler, request.IdempotencyKey ?? "workflow")
            : InvocationId.New(request.Key is null ? LocalPartitionKey() : PartitionKeyOf(request.Service, request.Key), c.Now);
        var record = NewInvocation(c, id, service, handler, request.Key, request.Headers, request.Body.ToArray(), null, null, request.IdempotencyKey, request.ExecutionTime);
        if (dedupKey is not null)
        {
            c.Tables.PutIdempotent(dedupKey, id);
        }

        c.Actions.Add(new PartitionAction.Reply(submit.Reply, new SubmitResult(id, SubmitStatus.Accepted, null, record.ExecutionTime)));
    }

    /// <summary>Creates an invocation with its Input command, then starts, inboxes or schedules it.</summary>
    private InvocationRecord NewInvocation(ApplyContext c, InvocationId id, ServiceInfo service, HandlerInfo handler, string? key,
        IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body, string? callerId, uint? callerCompletion, string? idempotencyKey, DateTimeOffset? executionTime)
    {
        var record = new InvocationRecord
        {
            Id = id.ToString(),
            Service = service.Name,
            Handler = handler.Name,
            Key = service.Type == ServiceType.Service ? null : key ?? string.Empty,
            ServiceType = service.Type,
            HandlerKind = handler.Kind,
            CallerId = callerId,
            CallerCompletionId = callerCompletion,
            IdempotencyKey = idempotencyKey,
            RandomSeed = (ulong)id.Uuid ^ id.PartitionKey,
            CreatedAt = c.Now,
            ExecutionTime = executionTime is { } at && at > c.Now ? at : null,
            LastStoredEntryAt = c.Now,
        };
        var input = new InputCommandMessage { Value = new Value { Content = ByteString.CopyFrom(body) } };
        input.Headers.AddRange(headers.Select(h => new Header { Key = h.Key, Value = h.Value }));
        c.Tables.AppendJournal(record, MessageType.InputCommand, input.ToByteArray());
        if (record.ExecutionTime is { } later)
        {
            record.Phase = InvocationPhase.Scheduled;
            c.Tables.PutInvocation(record);
            Schedule(c, later, id, TimerKind.Scheduled);
            return record;
        }

        Enter(c, record);
        return record;
    }

    /// <summary>Takes the object's lock and starts, or waits in the key's inbox (arrival order).</summary>
    private void Enter(ApplyContext c, InvocationRecord record)
    {
        if (record.IsExclusive)
        {
            if (c.Tables.LockHolder(record.Service, record.Key!) is not null)
            {
                record.Phase = InvocationPhase.Inboxed;
                c.Tables.PutInvocation(record);
                c.Tables.Enqueue(record.Service, record.Key!, InvocationId.Parse(record.Id));
                return;
            }

            c.Tables.Lock(record.Service, record.Key!, InvocationId.Parse(record.Id));
        }

        StartAttempt(c, record);
    }

    /// <summary>Opens a new attempt: pins deployment and protocol version on the first one, sends the journal.</summary>
    private void StartAttempt(ApplyContext c, InvocationRecord record)
    {
        if (record.DeploymentId is null)
        {
            if (!schema.TryGetService(record.Service, out var service) || !schema.TryGetDeployment(service.DeploymentId, out var pinned))
            {
                Fail(c, record, 404, $"Service {record.Service} is not registered");
                return;
            }

            record.DeploymentId = pinned.Id;
            record.ProtocolVersion = (int)pinned.PickVersion(options.MaxProtocolVersion);
        }

        if (!schema.TryGetDeployment(record.DeploymentId, out var deployment))
        {
            Fail(c, record, 404, $"Deployment {record.DeploymentId} is gone");
            return;
        }

        record.Attempt++;
        record.Phase = InvocationPhase.Invoked;
        record.WaitingCompletions = [];
        record.WaitingSignals = [];
        record.WaitingNamedSignals = [];
        c.Tables.PutInvocation(record);
        var id = InvocationId.Parse(record.Id);

        // Timeouts: the handler's own setting, else its service's, else the server default.
        schema.TryGetHandler(record.Service, record.Handler, out var serviceInfo, out var handlerInfo);
        var inactivity = handlerInfo?.InactivityTimeout ?? serviceInfo?.InactivityTimeout ?? options.DefaultInactivityTimeout;
        var abort = handlerInfo?.AbortTimeout ?? serviceInfo?.AbortTimeout ?? options.DefaultAbortTimeout;
        var lazy = handlerInfo?.EnableLazyState ?? serviceInfo?.EnableLazyState ?? false;
        var eager = record.IsKeyed && !lazy
            ? c.Tables.AllState(record.Service, record.Key!).Select(kv => KeyValuePair.Create(System.Text.Encoding.UTF8.GetBytes(kv.Key), kv.Value)).ToList()
            : null;
        c.Actions.Add(new PartitionAction.Invoke(new InvokeRequest(
            id, record.Attempt, record.Service, record.Handler, record.Key, deployment, (ServiceProtocolVersion)record.ProtocolVersion,
            c.Tables.ReadJournal(id), eager, record.RandomSeed, record.RetryCountSinceLastStoredEntry,
            c.Now - record.LastStoredEntryAt, inactivity, abort, record.IdempotencyKey)));
    }

    private void Schedule(ApplyContext c, DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId = 0)
    {
        var key = c.Tables.AddTimer(at, id, kind, completionId);
        c.Actions.Add(new PartitionAction.ScheduleTimer(at, key));
    }

    /// <summary>Keyed targets hash their service and key, so every invocation of one object key lands in one partition.</summary>
    internal static ulong PartitionKeyOf(string service, string? key) =>
        key is null
            ? (ulong)Random.Shared.NextInt64()
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(service + "\0" + key)));

    /// <summary>Same idempotent request, same id: keyed targets hash their key, services the idempotency key.</summary>
    internal static ulong IdempotentPartitionKey(string service, string? key, string handler, string idempotencyKey) =>
        PartitionKeyOf(service, string.IsNullOrEmpty(key) ? handler + "\0" + idempotencyKey : key);

    private static InvocationResult ToResult(ResultRecord r) =>
        r.Success ? new InvocationResult.Success(r.Value ?? []) : new InvocationResult.Failure(r.Code, r.Message ?? string.Empty, r.Metadata);

    private void OnRecover(ApplyContext c)
    {
        foreach (var record in c.Tables.AllInvocations().Where(r => r.Phase is InvocationPhase.Invoked && PartitionOf(InvocationId.Parse(r.Id)) == partition).ToList())
        {
            StartAttempt(c, record);
        }

        foreach (var timer in c.Tables.AllTimers().Where(t => PartitionOf(Keys.ParseTimer(t).Id) == partition))
        {
            c.Actions.Add(new PartitionAction.ScheduleTimer(Keys.ParseTimer(timer).At, timer));
        }

        RedeliverOutbox(c);
    }
}
