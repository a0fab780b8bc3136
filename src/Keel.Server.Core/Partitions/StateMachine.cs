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
/// The partition's functional core: applies one command to the tables and returns its mutations and
/// the actions to run once the batch is durable. No I/O, no clock reads, no randomness: time and the
/// schema snapshot come in with the call, ids are decided outside or derived from the journal.
/// A command that throws leaves no writes (it runs inside its own savepoint).
/// </summary>
public sealed partial class StateMachine(ISchemaView schema, RuntimeOptions options, int partition = 0)
{
    private readonly PartitionMap _map = new(Math.Max(1, options.Partitions));

    public PartitionMap Map => _map;

    public ApplyResult Apply(Tables tables, PartitionCommand command, DateTimeOffset now, ISchemaView? schemaSnapshot = null)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(command);
        tables.BeginCommand();
        tables.Now = now;
        try
        {
            var context = new ApplyContext(tables, now, schemaSnapshot ?? schema, []);
            Dispatch(context, command);
            return new ApplyResult(tables.CompleteCommand(), context.Actions);
        }
        catch
        {
            tables.RollbackCommand();
            throw;
        }
    }

    private void Dispatch(ApplyContext c, PartitionCommand command)
    {
        switch (command)
        {
            case PartitionCommand.Submit submit: OnSubmit(c, submit); break;
            case PartitionCommand.Effect effect: OnEffect(c, effect.InvokerEffect); break;
            case PartitionCommand.TimerFired timer: OnTimer(c, timer.TimerKey); break;
            case PartitionCommand.CompleteAwakeable awakeable: OnCompleteAwakeable(c, awakeable); break;
            case PartitionCommand.Cancel cancel: OnCancel(c, cancel); break;
            case PartitionCommand.Kill kill: OnKill(c, kill); break;
            case PartitionCommand.FailDeadlocked deadlocked: OnFailDeadlocked(c, deadlocked); break;
            case PartitionCommand.Purge purge: OnPurge(c, purge); break;
            case PartitionCommand.PurgeJournal purge: OnPurgeJournal(c, purge); break;
            case PartitionCommand.Pause pause: OnPause(c, pause); break;
            case PartitionCommand.Resume resume: OnResume(c, resume); break;
            case PartitionCommand.RestartAsNew restart: OnRestartAsNew(c, restart); break;
            case PartitionCommand.ReplaceState replace: OnReplaceState(c, replace); break;
            case PartitionCommand.GetOutput query: OnGetOutput(c, query); break;
            case PartitionCommand.LoadAttempt load: OnLoadAttempt(c, load); break;
            case PartitionCommand.Recover recover: OnRecover(c, recover); break;
            case PartitionCommand.RecoverInvocation recover: OnRecoverInvocation(c, recover); break;
            case PartitionCommand.Quarantine quarantine: OnQuarantine(c, quarantine); break;
            case PartitionCommand.RebuildWaitsFrom step: OnRebuildWaitsFrom(c, step); break;
            case PartitionCommand.RebuildWaits rebuild: OnRebuildWaits(c, rebuild); break;
            case PartitionCommand.Expire expire: OnExpire(c, expire); break;
            case PartitionCommand.DropRetentionEntry drop: c.Tables.DeleteIndexEntry(Table.Retention, drop.IndexKey); break;
            case PartitionCommand.Cleanup cleanup: OnCleanup(c, cleanup); break;
            case PartitionCommand.Deliver deliver: OnDeliver(c, deliver); break;
            case PartitionCommand.AckOutbox ack: OnAckOutbox(c, ack); break;
            case PartitionCommand.RedeliverOutbox redeliver: RedeliverOutbox(c, redeliver); break;
            default: throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }
    }

    /// <summary>What one Apply works with.</summary>
    private sealed record ApplyContext(Tables Tables, DateTimeOffset Now, ISchemaView Schema, List<PartitionAction> Actions)
    {
        /// <summary>Invocations a released key was handed to, waiting to enter (see <see cref="HandKeyTo"/>).</summary>
        public Queue<InvocationRecord> NextHolders { get; } = new();

        /// <summary>Whether a <see cref="HandKeyTo"/> loop further up the stack takes what is queued.</summary>
        public bool HandingKeys { get; set; }
    }

    private void OnSubmit(ApplyContext c, PartitionCommand.Submit submit)
    {
        var request = submit.Request;
        if (!c.Schema.TryGetHandler(request.Service, request.Handler, out var service, out var handler))
        {
            c.Actions.Add(new PartitionAction.Reply(submit.Reply, new UnknownTargetException($"Unknown handler {request.Service}/{request.Handler}")));
            return;
        }

        // Workflow runs and idempotent requests are deduplicated: the same key names the same invocation.
        var dedupKey = handler.Kind == HandlerType.Workflow
            ? Keys.WorkflowRun(request.Service, request.Key)
            : request.IdempotencyKey is { } ik ? Keys.Idempotency(request.Service, request.Key, request.Handler, ik) : null;
        if (dedupKey is not null && c.Tables.IdempotentInvocation(dedupKey) is { } existing && c.Tables.GetInvocation(existing) is { } previous)
        {
            c.Actions.Add(new PartitionAction.Reply(submit.Reply, new SubmitResult(existing, SubmitStatus.PreviouslyAccepted,
                previous.Result is { } r ? ToResult(r) : null)));
            return;
        }

        // Deduplicated requests have fixed ids; others carry the id the shell chose.
        var id = handler.Kind == HandlerType.Workflow ? InvocationIds.WorkflowRun(request.Service, request.Key ?? string.Empty)
            : request.IdempotencyKey is { } key ? InvocationIds.Idempotent(request.Service, request.Key, request.Handler, key)
            : submit.Id;
        if (dedupKey is null && submit.FreshId && id == submit.Id)
        {
            c.Tables.NoteNew(id);
        }

        var record = NewInvocation(c, id, service, handler, request.Key, request.Headers, request.Body.Span, null, null, request.IdempotencyKey, request.ExecutionTime, request.Trace);
        if (dedupKey is not null)
        {
            c.Tables.PutIdempotent(dedupKey, id);
        }

        c.Actions.Add(new PartitionAction.Reply(submit.Reply, new SubmitResult(id, SubmitStatus.Accepted, null, record.ExecutionTime)));
    }

    /// <summary>Creates an invocation with its Input command, then starts, inboxes or schedules it.</summary>
    private InvocationRecord NewInvocation(ApplyContext c, InvocationId id, ServiceInfo service, HandlerInfo handler, string? key,
        IReadOnlyList<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body, string? callerId, uint? callerCompletion, string? idempotencyKey, DateTimeOffset? executionTime,
        TraceContext? trace = null)
    {
        var record = new InvocationRecord
        {
            Id = id,
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
            ModifiedAt = c.Now,
            ExecutionTime = executionTime is { } at && at > c.Now ? at : null,
            LastStoredEntryAt = c.Now,
            Trace = trace,
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
                record.InboxedAt = c.Now;
                record.InboxSequence = c.Tables.Enqueue(record.Service, record.Key!, record.Id);
                c.Tables.PutInvocation(record);
                c.Actions.Add(new PartitionAction.Inboxed(record.Id, Target(record), record.Service, record.Key!));
                return;
            }

            c.Tables.Lock(record.Service, record.Key!, record.Id);
            c.Actions.Add(new PartitionAction.KeyTaken(record.Id, Target(record), record.Service, record.Key!));
            if (record.Phase != InvocationPhase.Inboxed)
            {
                // A free lock means an empty inbox: whatever queues behind this holder comes later.
                record.InboxSequence = c.Tables.LastInboxSequence();
            }
        }

        StartAttempt(c, record);
    }

    /// <summary>
    /// Lets the next inboxed invocation of a released key enter. Iterative, not recursive: entering can
    /// fail at once (its service or deployment is gone), which completes it and releases the key to the
    /// next one, and so on through the whole inbox. A recursion would take one stack frame chain per
    /// queued invocation and overflow the stack on a long inbox; here the outermost call drains a queue.
    /// </summary>
    private void HandKeyTo(ApplyContext c, InvocationRecord next)
    {
        c.NextHolders.Enqueue(next);
        if (c.HandingKeys)
        {
            return;
        }

        c.HandingKeys = true;
        try
        {
            while (c.NextHolders.TryDequeue(out var holder))
            {
                Enter(c, holder);
            }
        }
        finally
        {
            c.HandingKeys = false;
        }
    }

    /// <summary>Opens a new attempt: pins deployment and protocol version on the first one, sends the journal.</summary>
    private void StartAttempt(ApplyContext c, InvocationRecord record)
    {
        // Until the SDK has journaled a command, nothing ties the invocation to a deployment: each
        // attempt takes the service's current one, so registering a fixed deployment fixes a
        // failing invocation (as in Restate).
        if (record.DeploymentId is null || record.CommandCount <= 1)
        {
            if (!c.Schema.TryGetService(record.Service, out var service) || !c.Schema.TryGetDeployment(service.DeploymentId, out var pinned))
            {
                Fail(c, record, 404, $"Service {record.Service} is not registered");
                return;
            }

            record.DeploymentId = pinned.Id;
            record.ProtocolVersion = (int)pinned.PickVersion(options.MaxProtocolVersion);
        }

        if (!c.Schema.TryGetDeployment(record.DeploymentId, out var deployment))
        {
            Fail(c, record, 404, $"Deployment {record.DeploymentId} is gone");
            return;
        }

        record.Attempt++;
        record.Phase = InvocationPhase.Invoked;
        record.ModifiedAt = c.Now;
        record.LastStartAt = c.Now;
        record.NextRetryAt = null;
        record.WaitingCompletions = [];
        record.WaitingSignals = [];
        record.WaitingNamedSignals = [];
        record.Awaiting = null;
        c.Tables.PutInvocation(record);

        // Timeouts: the handler's own setting, else its service's, else the server default.
        c.Schema.TryGetHandler(record.Service, record.Handler, out var serviceInfo, out var handlerInfo);
        // A request-response deployment cannot be asked to suspend: unless set, no inactivity timeout
        // applies and its attempts are bounded by the abort timeout alone.
        var inactivity = handlerInfo?.InactivityTimeout ?? serviceInfo?.InactivityTimeout
            ?? (deployment.Mode == ProtocolMode.RequestResponse ? TimeSpan.Zero : options.DefaultInactivityTimeout);
        var abort = handlerInfo?.AbortTimeout ?? serviceInfo?.AbortTimeout ?? options.DefaultAbortTimeout;
        c.Actions.Add(new PartitionAction.Invoke(new InvokeRequest(
            record.Id, record.Attempt, record.Service, record.Handler, record.Key, deployment, (ServiceProtocolVersion)record.ProtocolVersion,
            c.Tables.ReadJournal(record), EagerState(c, record), record.RandomSeed, record.RetryCountSinceLastStoredEntry,
            c.Now - record.LastStoredEntryAt, inactivity, abort, record.IdempotencyKey, record.Trace)));
    }

    /// <summary>The object's state sent with an attempt's start, unless its handler (or service) asked for lazy state.</summary>
    private static List<KeyValuePair<byte[], byte[]>>? EagerState(ApplyContext c, InvocationRecord record)
    {
        c.Schema.TryGetHandler(record.Service, record.Handler, out var serviceInfo, out var handlerInfo);
        var lazy = handlerInfo?.EnableLazyState ?? serviceInfo?.EnableLazyState ?? false;
        return record.IsKeyed && !lazy
            ? c.Tables.AllState(record.Service, record.Key!).Select(kv => KeyValuePair.Create(System.Text.Encoding.UTF8.GetBytes(kv.Key), kv.Value)).ToList()
            : null;
    }

    /// <summary>An attempt that waited for an invoker slot reads its replay now (see <see cref="PartitionCommand.LoadAttempt"/>).</summary>
    private static void OnLoadAttempt(ApplyContext c, PartitionCommand.LoadAttempt load)
    {
        var record = c.Tables.GetInvocation(load.Id);
        object answer = record is { Phase: InvocationPhase.Invoked } && record.Attempt == load.Attempt
            ? new AttemptInputs(c.Tables.ReadJournal(record.Id, load.Entries), EagerState(c, record))
            : StaleAttempt.Instance;
        c.Actions.Add(new PartitionAction.Reply(load.Reply, answer));
    }

    private static void Schedule(ApplyContext c, DateTimeOffset at, InvocationId id, TimerKind kind, uint completionId = 0)
    {
        var key = c.Tables.AddTimer(at, id, kind, completionId);
        c.Actions.Add(new PartitionAction.ScheduleTimer(at, key));
    }

    private static InvocationResult ToResult(ResultRecord r) =>
        r.Success ? new InvocationResult.Success(r.Value ?? []) : new InvocationResult.Failure(r.Code, r.Message ?? string.Empty, r.Metadata);

    /// <summary>
    /// After a start: queue the resumption of every invocation that had a running attempt, a page at a
    /// time from the active index (never the status table), and hand over again what the outbox still
    /// holds. Timers are loaded by the processor's timer window, lazily.
    /// </summary>
    private void OnRecover(ApplyContext c, PartitionCommand.Recover recover)
    {
        var page = c.Tables.ActiveInvocations(recover.After, recover.Limit + 1);
        foreach (var (id, _) in page.Take(recover.Limit))
        {
            c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.RecoverInvocation(id)));
        }

        if (page.Count > recover.Limit)
        {
            c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.Recover(page[recover.Limit - 1].IndexKey, recover.Limit)));
        }

        if (recover.After is null)
        {
            // At start everything unacknowledged is resent, whatever its age (its first page here, the rest as follow-ups).
            RedeliverOutbox(c, new PartitionCommand.RedeliverOutbox());
            if (options.DeadlockDetection)
            {
                c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.RebuildWaitsFrom(Table.Locks)));
                c.Actions.Add(new PartitionAction.FollowUp(new PartitionCommand.RebuildWaitsFrom(Table.Inbox)));
            }
        }
    }

    private void OnRecoverInvocation(ApplyContext c, PartitionCommand.RecoverInvocation recover)
    {
        if (c.Tables.GetInvocation(recover.Id) is { Phase: InvocationPhase.Invoked } record)
        {
            StartAttempt(c, record);
        }
    }

    private static void OnQuarantine(ApplyContext c, PartitionCommand.Quarantine quarantine)
    {
        c.Actions.Add(new PartitionAction.RecordSkipped($"invocation {quarantine.Id}", quarantine.Reason));
        if (c.Tables.GetInvocation(quarantine.Id) is not { } record || record.Phase == InvocationPhase.Completed)
        {
            return;
        }

        record.Phase = InvocationPhase.Paused;
        record.NextRetryAt = null;
        record.ModifiedAt = c.Now;
        record.LastFailure = new FailureInfo(500, $"The server could not resume this invocation: {quarantine.Reason}. Paused; resume it once the cause is fixed.", record.Attempt);
        c.Tables.PutInvocation(record);
    }
}

/// <summary>What one command did: its writes (already folded into the batch) and the actions to run after commit.</summary>
public sealed record ApplyResult(IReadOnlyList<WriteOp> Mutations, List<PartitionAction> Actions);

/// <summary>The request names a service or handler that is not registered (the shell answers 404).</summary>
public sealed class UnknownTargetException(string message) : Exception(message);
