using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Deadlocks;
using Keel.Server.Storage;
using Keel.Server.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server.Partitions;

/// <summary>
/// The imperative shell around one partition's state machine, on two threads of its own. The apply
/// thread drains the queue into a batch and applies each command in its own savepoint; the commit
/// thread writes the batch with one synced write (group commit) and only then runs its actions, so
/// nothing is acknowledged before it is on disk. Batch N+1 is applied (reading batch N's writes)
/// while batch N is being synced. A failed commit is fatal for the partition: it stops, answers
/// every waiting client with an error, and reports the failure (crash-only: a restart recovers).
/// </summary>
public sealed partial class PartitionProcessor : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private const int MaxInFlight = 2;
    private readonly int _partition;
    private readonly IKeyValueStore _store;
    private readonly StateMachine _stateMachine;
    private readonly ISchemaView _schema;
    private readonly IInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly Action<int, PartitionCommand> _route;
    private readonly ILogger _logger;
    private readonly CommandQueue _queue;
    private readonly Waiters _waiters = new();
    private readonly FailureLog _failureLog;
    private readonly TimerWindow _timers;
    private readonly RuntimeActivity _activity;
    // The server's wait-for graph (deadlock detection), told of waits after commit; null when nobody listens.
    private readonly WaitForGraph? _waits;
    private readonly HandOff<AppliedBatch> _toCommit = new(MaxInFlight);
    private readonly Lock _inFlightGate = new();
    private List<Overlay> _inFlight = [];
    private Thread? _applyThread;
    private Thread? _commitThread;
    private static readonly TimeSpan CleanupStep = TimeSpan.FromMilliseconds(10);
    private ITimer? _cleanup;
    private ITimer? _cleanupNext;
    private ITimer? _redelivery;
    private readonly TimeSpan? _redeliveryInterval;
    private readonly bool _servedUnderLease;
    private volatile byte[]? _cleanupAfter;
    // Where the outbox ended when the last redelivery pass began (see PartitionAction.OutboxMark): in
    // memory only, because a restart resends everything anyway.
    private ulong _outboxMark;
    private volatile Exception? _failure;
    private volatile bool _stopped;
    private IDisposable? _queueGauge;

    public PartitionProcessor(int partition, IKeyValueStore store, StateMachine stateMachine, ISchemaView schema, IInvoker invoker, TimeProvider time,
        Action<int, PartitionCommand> route, ILogger? logger = null, ProcessorOptions? options = null, RuntimeActivity? activity = null,
        WaitForGraph? waits = null)
    {
        ArgumentNullException.ThrowIfNull(stateMachine);
        options ??= new ProcessorOptions();
        _partition = partition;
        _store = store;
        _stateMachine = stateMachine;
        _schema = schema;
        _invoker = invoker;
        _time = time;
        _route = route;
        _activity = activity ?? new RuntimeActivity();
        _logger = logger ?? NullLogger.Instance;
        _waits = waits;
        _queue = new CommandQueue(options.QueueCapacity, options.InternalRoom);
        _failureLog = new FailureLog(_logger, time);
        CleanupInterval = options.CleanupInterval;
        _redeliveryInterval = options.OutboxRedeliveryInterval;
        _servedUnderLease = options.ServedUnderLease;
        _timers = new TimerWindow(store, stateMachine.Map.RangeStart(partition), time, options.TimerWindow, key => Enqueue(new PartitionCommand.TimerFired(key)),
            // A fired send or sleep-resume becomes an attempt, and attempts beyond the invoker's concurrency
            // wait in memory: so the invoker's waiting attempts hold timers back too, or a million overdue
            // sends would all become waiting attempts at once after a restart.
            () => _queue.Depth + invoker.Backlog, options.TimerFireWatermark);
    }

    /// <summary>Which partition this processor serves.</summary>
    public int Partition => _partition;

    /// <summary>Batches committed so far (one fsync each).</summary>
    public long Batches { get; private set; }

    /// <summary>Commands waiting to be applied.</summary>
    public int QueueDepth => _queue.Depth;

    /// <summary>Durable timers held in memory (those due within the timer window).</summary>
    public int TimersInMemory => _timers.Count;

    /// <summary>When the partition's earliest durable timer is due (null: none); see <see cref="TimerWindow.NextDue"/>.</summary>
    public DateTimeOffset? NextTimerDue() => _timers.NextDue();

    /// <summary>How often completed invocations past their retention are looked for.</summary>
    public TimeSpan CleanupInterval { get; }

    /// <summary>Why the partition stopped, once it has (null while healthy).</summary>
    public Exception? Failure => _failure;

    /// <summary>Raised once, from the commit thread, when the partition stops on a storage failure.</summary>
    public event Action<int, Exception>? Failed;

    public void Start()
    {
        Enqueue(new PartitionCommand.Recover());
        _queueGauge = ServerTelemetry.TrackQueue(_partition, () => _queue.Depth);
        _applyThread = new Thread(ApplyLoop) { IsBackground = true, Name = $"keel-partition-{_partition}-apply" };
        _commitThread = new Thread(CommitLoop) { IsBackground = true, Name = $"keel-partition-{_partition}-commit" };
        _applyThread.Start();
        _commitThread.Start();
        _timers.Start();
        _cleanupNext = _time.CreateTimer(_ => Enqueue(new PartitionCommand.Cleanup(After: _cleanupAfter)), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _cleanup = _time.CreateTimer(_ =>
        {
            _waiters.Prune();
            Enqueue(new PartitionCommand.Cleanup());
        }, null, CleanupInterval, CleanupInterval);
        if (_redeliveryInterval is { } every)
        {
            // Only entries older than the previous pass's mark: those have waited about an interval.
            // Before any mark (the start's pass not applied yet) nothing is old enough: Below 0.
            _redelivery = _time.CreateTimer(_ => Enqueue(new PartitionCommand.RedeliverOutbox(Below: Volatile.Read(ref _outboxMark))), null, every, every);
        }
    }

    /// <summary>Internal work (effects, timers, hand-overs): always accepted.</summary>
    public void Enqueue(PartitionCommand command)
    {
        if (_failure is { } failure)
        {
            Refuse(command, failure);
            return;
        }

        _activity.Begin();
        _queue.Add(command);
        RefuseIfStopped();
    }

    /// <summary>
    /// For producers of internal work that can wait (an attempt reading its deployment's stream):
    /// completes once the partition's internal backlog has room (at once, mostly), so a fast SDK is
    /// slowed to the partition's pace instead of filling memory.
    /// </summary>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) => _queue.WaitForRoomAsync(cancellationToken);

    /// <summary>A new request from a client: refused (false) when the partition's queue is full.</summary>
    public bool TryEnqueueRequest(PartitionCommand command)
    {
        if (_failure is { } failure)
        {
            Refuse(command, failure);
            return true;
        }

        _activity.Begin();
        if (_queue.TryAddExternal(command))
        {
            RefuseIfStopped();
            return true;
        }

        _activity.End();
        return false;
    }

    private void ApplyLoop()
    {
        var batch = new List<PartitionCommand>(MaxBatch);
        while (_failure is null && _queue.Take(batch, MaxBatch))
        {
            List<Overlay> inFlight;
            lock (_inFlightGate)
            {
                inFlight = _inFlight;
            }

            var tx = new Transaction(_store, inFlight);
            var tables = new Tables(tx, _stateMachine.Map, _partition);
            var actions = new List<PartitionAction>();
            var replies = new List<object>();
            var now = _time.GetUtcNow();
            var schema = _schema.Snapshot();
            try
            {
                foreach (var command in batch)
                {
                    if (ReplyToken(command) is { } token)
                    {
                        replies.Add(token);
                    }

                    ApplyOne(tables, command, now, schema, actions);
                }
            }
            catch (Exception e) when (IsStorageFailure(e))
            {
                // Storage could not be read: nothing of this batch can be applied, and nothing after it
                // either. The partition stops as on a failed commit (in a cluster it is then taken
                // over again; on one node the server stops); the batch's clients get 503, not 500.
                Stop(e);
                foreach (var command in batch)
                {
                    if (ReplyToken(command) is { } token)
                    {
                        Answer(token, _failure!);
                    }
                }

                _activity.End(batch.Count);
                batch.Clear();
                break;
            }

            var applied = new AppliedBatch(tx.Batch, actions, replies, batch.Count, Sync: !SyncDeferral.CanDefer(batch, actions));
            batch.Clear();
            lock (_inFlightGate)
            {
                _inFlight = [.. _inFlight, tx.Batch];
            }

            if (!_toCommit.TryAdd(applied))
            {
                // The commit side stopped (fatal failure or shutdown).
                Refuse(applied, _failure ?? new PartitionUnavailableException(_partition, "the partition is stopping"));
                _activity.End(applied.Commands);
                return;
            }
        }

        _toCommit.Complete();
    }

    /// <summary>
    /// The storage itself failed (a read that could not be done: RocksDB's I/O errors, a database that
    /// cannot be reached), as opposed to a command that cannot be applied to what was read.
    /// </summary>
    private static bool IsStorageFailure(Exception e) => e is IOException or System.Data.Common.DbException;

    /// <summary>Applies one command; a command that throws leaves no writes, is logged and answered, and a failed effect retries its attempt.</summary>
    private void ApplyOne(Tables tables, PartitionCommand command, DateTimeOffset now, ISchemaView schema, List<PartitionAction> actions)
    {
        try
        {
            actions.AddRange(_stateMachine.Apply(tables, command, now, schema).Actions);
            return;
        }
#pragma warning disable CA1031 // One bad command must not stop the partition: it is rolled back, logged and answered.
        catch (Exception e) when (!IsStorageFailure(e))
#pragma warning restore CA1031
        {
            LogApplyFailed(_logger, e, _partition, command.GetType().Name);
            if (ReplyToken(command) is { } token)
            {
                actions.Add(new PartitionAction.Reply(token, new InternalErrorException($"The server failed to apply the request: {e.Message}", e)));
            }

            if (command is PartitionCommand.Effect { InvokerEffect: var effect } && effect is not InvokerEffect.Failed)
            {
                // Rather than half-journal what the SDK sent, end this attempt as failed: it is retried.
                var failed = new InvokerEffect.Failed(effect.Id, effect.Attempt, new AttemptFailure(500, $"The server failed to apply {effect.GetType().Name}: {e.Message}"));
                ApplyOne(tables, new PartitionCommand.Effect(failed), now, schema, actions);
            }

            // Work over stored records goes one record per command; the one that throws is set aside
            // (and shown to the operator) so recovery and retention go on for the rest.
            switch (command)
            {
                case PartitionCommand.RecoverInvocation recover:
                    ApplyOne(tables, new PartitionCommand.Quarantine(recover.Id, e.Message), now, schema, actions);
                    break;
                case PartitionCommand.Expire expire:
                    actions.Add(new PartitionAction.RecordSkipped($"invocation {expire.Id} (retention)", e.Message));
                    ApplyOne(tables, new PartitionCommand.DropRetentionEntry(expire.IndexKey), now, schema, actions);
                    break;
            }
        }
    }

    private void CommitLoop()
    {
        while (_toCommit.TryTake(out var batch))
        {
            if (_failure is { } failure)
            {
                Refuse(batch, failure);
                _activity.End(batch.Commands);
                continue;
            }

            try
            {
                // Committed even when empty: a fenced store then checks that this node still holds the
                // partition, so a stale owner never answers a read.
                using var measured = new CommitMeasurement(_partition, batch.Commands);
                if (batch.Sync)
                {
                    _store.Commit(batch.Writes.Writes());
                }
                else
                {
                    _store.CommitWithoutSync(batch.Writes.Writes());
                }
            }
#pragma warning disable CA1031 // Storage failures of any kind stop the partition (crash-only).
            catch (Exception e)
#pragma warning restore CA1031
            {
                Stop(e);
                Refuse(batch, _failure!);
                _activity.End(batch.Commands);
                continue;
            }

            lock (_inFlightGate)
            {
                _inFlight = _inFlight.Where(o => !ReferenceEquals(o, batch.Writes)).ToList();
            }

            Batches++;
            foreach (var action in batch.Actions)
            {
                try
                {
                    Run(action);
                }
#pragma warning disable CA1031 // The batch is durable; a failing action must not stop the partition.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogActionFailed(_logger, e, _partition, action.GetType().Name);
                }
            }

            // Last: what the actions started (routes, attempts, timers fired) has begun by now.
            _activity.End(batch.Commands);
        }
    }

    /// <summary>The partition cannot write: stop taking work, answer everyone with an error, report it.</summary>
    private void Stop(Exception cause)
    {
        var fenced = cause is PartitionFencedException;
        var failure = fenced
            ? new PartitionUnavailableException(_partition, "another node took it over", cause)
            : new PartitionUnavailableException(_partition, $"storage failed: {cause.Message}", cause);
        _failure = failure;
        if (fenced)
        {
            LogFenced(_logger, _partition, cause.Message);
        }
        else if (_servedUnderLease)
        {
            LogStorageFailedLeased(_logger, cause, _partition);
        }
        else
        {
            LogStorageFailed(_logger, cause, _partition);
        }

        _queue.Close();
        var drained = _queue.Drain();
        foreach (var command in drained)
        {
            Refuse(command, failure);
        }

        _activity.End(drained.Count);

        _waiters.FailAll(failure);
        Failed?.Invoke(_partition, failure);
    }

    /// <summary>
    /// Once the loops have ended, nothing takes from the queue: a command that got in around the stop
    /// (the enqueuer saw the partition still listed) is answered here instead of waiting forever. It was
    /// never applied, so "not served here" is true and safe to follow: the cluster's shell forwards it
    /// to the partition's new owner, a single server answers 503 (retry).
    /// </summary>
    private void RefuseIfStopped()
    {
        if (!_stopped)
        {
            return;
        }

        var left = _queue.Drain();
        foreach (var command in left)
        {
            Refuse(command, new PartitionNotOwnedException(_partition));
        }

        _activity.End(left.Count);
    }

    private static void Refuse(AppliedBatch batch, Exception failure)
    {
        foreach (var token in batch.Replies)
        {
            Answer(token, failure);
        }
    }

    private static void Refuse(PartitionCommand command, Exception failure)
    {
        if (ReplyToken(command) is { } token)
        {
            Answer(token, failure);
        }
    }

    private void Run(PartitionAction action)
    {
        switch (action)
        {
            case PartitionAction.Invoke invoke:
                _invoker.Start(invoke.Request with { Reload = ReloaderFor(invoke.Request) });
                break;
            case PartitionAction.Push push:
                _invoker.Push(push.Id, push.Attempt, push.Frame);
                break;
            case PartitionAction.Abort abort:
                _invoker.Abort(abort.Id, abort.Attempt);
                break;
            case PartitionAction.ScheduleTimer timer:
                _timers.Add(timer.At, timer.Key);
                break;
            case PartitionAction.Completed completed:
                _waiters.Complete(completed.Id, completed.Result);
                _failureLog.Forget(completed.Id);
                _waits?.Observe(completed);
                ServerTelemetry.InvocationEnded(completed, _time.GetUtcNow());
                break;
            case PartitionAction.Reply reply:
                if (reply.Token is PendingRequest { Completion: { } completion } && WaitTarget(reply.Value) is { } id)
                {
                    // Registered here, in commit order, so no completion can slip by.
                    _waiters.Add(id, completion);
                }

                Answer(reply.Token, reply.Value);
                break;
            case PartitionAction.Route route:
                _route(route.Partition, route.Command);
                break;
            case PartitionAction.AttemptFailed failed:
                _failureLog.Report(failed);
                if (failed.RetryIn is not null)
                {
                    ServerTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("keel.target", failed.Target));
                }

                break;
            case PartitionAction.FollowUp followUp:
                Enqueue(followUp.Command);
                break;
            case PartitionAction.RecordSkipped skipped:
                LogRecordSkipped(_logger, _partition, skipped.What, skipped.Reason);
                break;
            case PartitionAction.OutboxMark mark:
                Volatile.Write(ref _outboxMark, mark.Next);
                break;
            case PartitionAction.CallAwaited or PartitionAction.CallAnswered or PartitionAction.Inboxed or PartitionAction.KeyTaken:
                _waits?.Observe(action);
                break;
            case PartitionAction.CleanupMore more:
                // More has expired: continue in small steps, leaving room for live work in between.
                _cleanupAfter = more.After;
                _cleanupNext?.Change(CleanupStep, Timeout.InfiniteTimeSpan);
                break;
        }
    }

    private static void Answer(object token, object value)
    {
        if (token is not PendingRequest pending)
        {
            return;
        }

        if (value is Exception error)
        {
            pending.Answer.TrySetException(error);
            pending.Completion?.TrySetException(error);
        }
        else
        {
            pending.Answer.TrySetResult(value);
        }
    }

    /// <summary>
    /// Reads an attempt's replay again through this partition (in order with its other commands, so
    /// the answer is what the attempt would have been started with). Captures ids and the journal's
    /// length only: the point is that a waiting attempt holds no journal.
    /// </summary>
    private Func<CancellationToken, Task<AttemptInputs?>> ReloaderFor(InvokeRequest request)
    {
        var (id, attempt, entries) = (request.Id, request.Attempt, request.Journal.Count);
        return async cancellationToken =>
        {
            var pending = new PendingRequest(waitForResult: false);
            Enqueue(new PartitionCommand.LoadAttempt(id, attempt, entries, pending));
            return await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false) as AttemptInputs;
        };
    }

    private static object? ReplyToken(PartitionCommand command) => command switch
    {
        PartitionCommand.Submit s => s.Reply,
        PartitionCommand.CompleteAwakeable a => a.Reply,
        PartitionCommand.GetOutput g => g.Reply,
        PartitionCommand.Cancel c => c.Reply,
        PartitionCommand.Kill k => k.Reply,
        PartitionCommand.FailDeadlocked d => d.Reply,
        PartitionCommand.Purge p => p.Reply,
        PartitionCommand.PurgeJournal p => p.Reply,
        PartitionCommand.Pause p => p.Reply,
        PartitionCommand.Resume r => r.Reply,
        PartitionCommand.RestartAsNew r => r.Reply,
        PartitionCommand.ReplaceState r => r.Reply,
        PartitionCommand.LoadAttempt l => l.Reply,
        _ => null,
    };

    private static InvocationId? WaitTarget(object value) => value switch
    {
        SubmitResult { Result: null } submit => submit.Id,
        OutputResult { Status: OutputStatus.NotReady, Id: { } id } => id,
        _ => null,
    };

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup.DisposeAsync().ConfigureAwait(false);
        }

        if (_cleanupNext is not null)
        {
            await _cleanupNext.DisposeAsync().ConfigureAwait(false);
        }

        if (_redelivery is not null)
        {
            await _redelivery.DisposeAsync().ConfigureAwait(false);
        }

        _timers.Dispose();
        _queueGauge?.Dispose();
        _queue.Close();
        await Task.Run(() =>
        {
            _applyThread?.Join();
            _commitThread?.Join();
        }).ConfigureAwait(false);
        _stopped = true;
        RefuseIfStopped();
        _waiters.FailAll(new PartitionUnavailableException(_partition, "the server is stopping"));
    }

    /// <summary>A batch applied and waiting for its commit: its writes, the actions to run after, the requests to answer if it fails.</summary>
    /// <param name="Sync">False when the batch may be written without a sync (<see cref="SyncDeferral"/>).</param>
    private sealed record AppliedBatch(Overlay Writes, List<PartitionAction> Actions, List<object> Replies, int Commands, bool Sync);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} failed to apply {Command}; it left no writes")]
    private static partial void LogApplyFailed(ILogger logger, Exception error, int partition, string command);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} set aside {What}: {Reason}")]
    private static partial void LogRecordSkipped(ILogger logger, int partition, string what, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} failed to run {Action} after commit")]
    private static partial void LogActionFailed(ILogger logger, Exception error, int partition, string action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition {Partition} stopped here: {Reason}. Nothing of its last batch was acknowledged; its new owner serves it")]
    private static partial void LogFenced(ILogger logger, int partition, string reason);

    // What follows a storage failure differs by role (KeelRuntime.OnPartitionFailed): the log says which, so that an
    // operator of a cluster does not restart a node that recovers by itself.
    [LoggerMessage(Level = LogLevel.Critical, Message = "Partition {Partition} stopped: its storage failed. Nothing of its last batch was acknowledged; the server stops, and recovers the partition from its storage when it is started again")]
    private static partial void LogStorageFailed(ILogger logger, Exception error, int partition);

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} stopped on this node: its storage failed. Nothing of its last batch was acknowledged; this node gives its lease back, and this node or another takes the partition over and recovers it from the database")]
    private static partial void LogStorageFailedLeased(ILogger logger, Exception error, int partition);
}
