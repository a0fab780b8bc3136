using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Deadlocks;
using Keel.Server.Partitions;
using Keel.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keel.Server;

/// <summary>
/// The runtime core the HTTP shell talks to: durable storage, the partition processors and their
/// state machines. Every answer is given after the batch that produced it is on disk.
/// </summary>
public sealed class KeelRuntime : IRuntimeApi, IInvokerEffectSink, IAsyncDisposable
{
    private readonly RuntimeOptions _options;
    private readonly ISchemaView _schema;
    private readonly IInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly PartitionMap _map;
    private readonly ConcurrentDictionary<PendingRequest, byte> _awaitedResults = new();
    private IKeyValueStore? _store;
    // Partitions are served under leases (a cluster node) rather than all of them for good.
    private bool _servesLeases;
    private PartitionProcessor?[]? _processors;
    private volatile int[] _local = [];
    private readonly Lock _placementGate = new();
    private int _roundRobin;

    public KeelRuntime(RuntimeOptions options, ISchemaView schema, IInvoker invoker, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _schema = schema;
        _invoker = invoker;
        _time = time;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _map = new PartitionMap(Math.Max(1, options.Partitions));
        Waits = new WaitForGraph(time);
        DeadlockReporter.Attach(Waits, _loggers.CreateLogger("Keel.Deadlocks"));
        DeadlockBreaker.Attach(Waits, schema, FailDeadlocked, _loggers.CreateLogger("Keel.Deadlocks"));
    }

    /// <summary>
    /// Hands a deadlock's failure to the partition of the queued member (internal work: never refused for a full
    /// queue). Raised on a partition's thread after its commit, so this only queues; nobody waits for the answer.
    /// </summary>
    public void FailDeadlocked(InvocationId id, string message)
    {
        if (_processors is not null && Volatile.Read(ref _processors[_map.PartitionOf(id.PartitionKey)]) is { } owner)
        {
            owner.Enqueue(new PartitionCommand.FailDeadlocked(id, message, new PendingRequest(waitForResult: false)));
        }
        else
        {
            RemoteFailDeadlocked?.Invoke(id, message);
        }
    }

    /// <summary>Where the <c>fail</c> policy's failure goes when the queued member's partition is served by another node (cluster mode).</summary>
    public Action<InvocationId, string>? RemoteFailDeadlocked { get; set; }

    /// <summary>
    /// Who waits for whom among the invocations of the partitions this server serves (calls, keys' locks): finds
    /// deadlocks as they form. Empty when <see cref="RuntimeOptions.DeadlockDetection"/> is off.
    /// </summary>
    public WaitForGraph Waits { get; }

    public IReadOnlyList<DeadlockCycle> Deadlocks => Waits.Cycles;

    /// <summary>Raised when a partition stops on a storage failure (the host logs it and exits non-zero).</summary>
    public event Action<Exception>? Failed;

    /// <summary>Raised when this node stops serving a partition because another node took it over (cluster mode).</summary>
    public event Action<int>? PartitionLost;

    /// <summary>Null while every partition of this node serves; else why one stopped.</summary>
    public Exception? Failure => _processors?.Select(p => p?.Failure).FirstOrDefault(f => f is not null && f.InnerException is not PartitionFencedException);

    /// <summary>The processors of the partitions this node serves.</summary>
    public IReadOnlyList<PartitionProcessor> Partitions => [.. (_processors ?? []).OfType<PartitionProcessor>()];

    /// <summary>The partitions this node serves now, in order.</summary>
    public IReadOnlyList<int> LocalPartitions => _local;

    /// <summary>The number of partitions of the data (fixed when it was created).</summary>
    public int PartitionCount => _map.Count;

    /// <summary>Which partition an invocation, object key or workflow lives in.</summary>
    public PartitionMap Map => _map;

    /// <summary>
    /// Where hand-overs to partitions served by other nodes go (cluster mode); without it they wait in
    /// the outbox until the target is served here.
    /// </summary>
    public Action<int, PartitionCommand>? RemoteRoute { get; set; }

    /// <summary>Work in flight in the partitions (and in the invoker, when it is given the same counter).</summary>
    public RuntimeActivity Activity { get; } = new();

    /// <summary>
    /// True while a client waits for the result of an invocation that has not completed yet (a call,
    /// or an attach / output request that waits). A completed result counts no more from the moment
    /// the partition delivers it, before the client has read it.
    /// </summary>
    public bool IsAwaitingResult => _awaitedResults.Any(p => p.Key.Completion is { Task.IsCompleted: false });

    /// <summary>
    /// When the earliest durable timer (sleep, delayed send, retry backoff) is due, over all partitions,
    /// or null when there is none. Read from storage: meant for a quiet runtime (<see cref="Activity"/> idle).
    /// </summary>
    public DateTimeOffset? NextTimerDue() =>
        (_processors ?? []).OfType<PartitionProcessor>().Select(p => p.NextTimerDue()).Where(d => d is not null).Min();

    /// <summary>Starts on a given store and serves every partition (one node; tests use the in-memory store).</summary>
    public Task StartAsync(IKeyValueStore store)
    {
        Open(store);
        for (var p = 0; p < _map.Count; p++)
        {
            Acquire(p, store);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Checks the storage layout and serves no partition yet: a node of a cluster starts this way, then
    /// serves each partition it leases (<see cref="Acquire"/>) with a store that fences its commits.
    /// </summary>
    public void StartServingNone(IKeyValueStore store)
    {
        Open(store);
        _servesLeases = true;
        // Waits of invocations in partitions served elsewhere are that node's: the cluster's detector merges them.
        Waits.IsRemote = id => InvocationId.TryParse(id, out var parsed) && Volatile.Read(ref Processors[_map.PartitionOf(parsed.PartitionKey)]) is null;
    }

    private void Open(IKeyValueStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        CheckLayout(store, _map.Count);
        _processors = new PartitionProcessor?[_map.Count];
    }

    /// <summary>Starts serving a partition: recovers its unfinished invocations, timers and outbox from <paramref name="partitionStore"/>.</summary>
    public void Acquire(int partition, IKeyValueStore partitionStore)
    {
        var processors = Processors;
        lock (_placementGate)
        {
            if (processors[partition] is not null)
            {
                return;
            }

            var processor = new PartitionProcessor(partition, partitionStore, new StateMachine(_schema, _options, partition), _schema, _invoker, _time,
                Route, _loggers.CreateLogger("Keel.Partition"), _servesLeases ? _options.Processor with { ServedUnderLease = true } : _options.Processor, Activity,
                // A cluster node's graph holds the waits of the partitions it serves (Deadlocks/ClusterWaits in the
                // cluster role merges the nodes' graphs); off, nothing is told.
                _options.DeadlockDetection ? Waits : null);
            processor.Failed += OnPartitionFailed;
            Volatile.Write(ref processors[partition], processor);
            _local = [.. Enumerable.Range(0, processors.Length).Where(p => processors[p] is not null)];
            processor.Start();
        }
    }

    /// <summary>Stops serving a partition (its lease moves elsewhere): its queue and waiters are answered with 503.</summary>
    public async Task ReleaseAsync(int partition)
    {
        PartitionProcessor? processor;
        var processors = Processors;
        lock (_placementGate)
        {
            processor = processors[partition];
            Volatile.Write(ref processors[partition], null);
            _local = [.. Enumerable.Range(0, processors.Length).Where(p => processors[p] is not null)];
        }

        if (processor is not null)
        {
            processor.Failed -= OnPartitionFailed;
            await processor.DisposeAsync().ConfigureAwait(false);
            // Whoever serves it next rebuilds its waits from the store.
            Waits.Forget(id => InvocationId.TryParse(id, out var parsed) && _map.PartitionOf(parsed.PartitionKey) == partition);
        }
    }

    private void OnPartitionFailed(int partition, Exception failure)
    {
        // Fenced: not a fault of this node, the partition is served elsewhere now. In a cluster any
        // other storage failure (the database restarting, failing over, a connection cut) costs the
        // partition, not the process: it stops here, the lease loop gives its lease back, and this node
        // or another takes it again under a new epoch and recovers it from the database. On one node
        // there is nobody to take over, so the server stops (crash-only) and its supervisor restarts it.
        if (failure.InnerException is PartitionFencedException || _servesLeases)
        {
            _ = Task.Run(async () =>
            {
                await ReleaseAsync(partition).ConfigureAwait(false);
                PartitionLost?.Invoke(partition);
            });
            return;
        }

        Failed?.Invoke(failure);
    }

    /// <summary>Hands a command to the partition that owns it: here, or through the cluster to its node.</summary>
    private void Route(int partition, PartitionCommand command)
    {
        if (Volatile.Read(ref Processors[partition]) is { } local)
        {
            local.Enqueue(command);
        }
        else if (command is not PartitionCommand.RebuildWaits)
        {
            RemoteRoute?.Invoke(partition, command);
        }

        // A rebuild does not travel between nodes: the other node's graph learnt its own partitions' waits live,
        // or rebuilds them itself when it (re)starts serving them.
    }

    /// <summary>A hand-over from another node for a partition served here; false when it is not served here (any more).</summary>
    public bool TryDeliver(int partition, PartitionCommand command)
    {
        if (_processors is { } processors && Volatile.Read(ref processors[partition]) is { } local)
        {
            local.Enqueue(command);
            return true;
        }

        return false;
    }

    /// <summary>
    /// The storage format and the partition count are part of the data's layout: record them once,
    /// refuse to open data with another count, migrate data of an older format up to the current one
    /// (<see cref="Storage.Migrations.StorageUpgrade"/>), refuse a newer or unknown format.
    /// </summary>
    private void CheckLayout(IKeyValueStore store, int count)
    {
        var formatKey = Keys.Meta("format");
        var partitionsKey = Keys.Meta("partitions");
        try
        {
            var format = Storage.Migrations.StorageUpgrade.DetectFormat(store);
            if (Storage.Migrations.StorageUpgrade.RecordedPartitions(store) is { } existing && existing != count)
            {
                throw new InvalidOperationException($"This data directory was created with {existing} partitions; start the server with --partitions {existing}.");
            }

            if (format is null)
            {
                store.Commit([
                    new WriteOp(Table.Meta, formatKey, Encoding.UTF8.GetBytes(StorageFormat.Version.ToString(CultureInfo.InvariantCulture))),
                    new WriteOp(Table.Meta, partitionsKey, Encoding.UTF8.GetBytes(count.ToString(CultureInfo.InvariantCulture))),
                ]);
                return;
            }

            Storage.Migrations.StorageUpgrade.Run(store, logger: _loggers.CreateLogger("Keel.Storage"));
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or System.Text.Json.JsonException)
        {
            store.Dispose();
            if (e is InvalidOperationException)
            {
                throw;
            }

            throw new InvalidOperationException($"Migrating this data directory to storage format {StorageFormat.Version} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// The introspection tables as of now, read from a storage snapshot outside the partitions' loops
    /// (SQL queries run on it while invocations go on).
    /// </summary>
    public Introspection.IIntrospectionSnapshot OpenIntrospection() =>
        new Introspection.StoreIntrospection((_store ?? throw new InvalidOperationException("The runtime is not started.")).OpenSnapshot(), _schema);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_processors is not null)
        {
            foreach (var partition in _local)
            {
                await ReleaseAsync(partition).ConfigureAwait(false);
            }

            _processors = null;
        }

        _store?.Dispose();
        _store = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private PartitionProcessor?[] Processors => _processors ?? throw new InvalidOperationException("The runtime is not started.");

    /// <summary>The local processor of a partition; a partition served by another node is refused so the shell can forward the request.</summary>
    private PartitionProcessor Local(int partition) =>
        Volatile.Read(ref Processors[partition]) ?? throw new PartitionNotOwnedException(partition);

    private PartitionProcessor OwnerOfKey(ulong partitionKey) => Local(_map.PartitionOf(partitionKey));

    private PartitionProcessor OwnerOf(InvocationQuery query) => query switch
    {
        InvocationQuery.ById byId => OwnerOfKey(byId.Id.PartitionKey),
        InvocationQuery.Workflow w => OwnerOfKey(PartitionMap.KeyOf(w.Name, w.Key)),
        InvocationQuery.Idempotent i => OwnerOfKey(PartitionMap.IdempotentKeyOf(i.Service, i.Key, i.Handler, i.IdempotencyKey)),
        _ => Local(0),
    };

    public void Submit(InvokerEffect effect)
    {
        ArgumentNullException.ThrowIfNull(effect);

        // "Headers accepted" changes nothing durable: it need not travel through the partition.
        if (effect is InvokerEffect.Started)
        {
            return;
        }

        // An attempt whose partition moved to another node reports to nobody: the new owner runs it again from the journal.
        if (Volatile.Read(ref Processors[_map.PartitionOf(effect.Id.PartitionKey)]) is { } local)
        {
            local.Enqueue(new PartitionCommand.Effect(effect));
        }
    }

    public ValueTask WaitForRoomAsync(InvocationId id, CancellationToken cancellationToken) =>
        Volatile.Read(ref Processors[_map.PartitionOf(id.PartitionKey)]) is { } local
            ? local.WaitForRoomAsync(cancellationToken)
            : ValueTask.CompletedTask;

    public async Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var kind = _schema.TryGetHandler(request.Service, request.Handler, out _, out var handler) ? handler.Kind : (Protocol.Manifest.HandlerType?)null;
        // A plain service call may live in any partition: take one served here, so it needs no forwarding.
        var local = _local;
        var turn = (uint)Interlocked.Increment(ref _roundRobin);
        var plain = local.Length > 0 ? local[(int)(turn % (uint)local.Length)] : (int)(turn % (uint)_map.Count);
        var id = InvocationIds.ForRequest(request, kind, _map, plain, _time.GetUtcNow());
        if (_invoker.Backlog >= _options.MaxInvokerBacklog)
        {
            throw new OverloadedException($"The server is overloaded: {_invoker.Backlog} invocations are waiting for their deployments. Retry later.");
        }

        var pending = new PendingRequest(waitForResult: !request.IsSend);
        Offer(OwnerOfKey(id.PartitionKey), new PartitionCommand.Submit(request, id, pending, InvocationIds.IsDrawnAtRandom(request, kind)));
        var accepted = (SubmitResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (request.IsSend || accepted.Result is not null)
        {
            return accepted;
        }

        if (kind == Protocol.Manifest.HandlerType.Workflow && accepted.Status == SubmitStatus.PreviouslyAccepted)
        {
            // A second call of a workflow's run is refused at once (409), even while the run is in flight.
            pending.Completion!.TrySetCanceled(CancellationToken.None);
            return accepted;
        }

        try
        {
            var result = await WaitForResult(pending, cancellationToken).ConfigureAwait(false);
            return accepted with { Result = result };
        }
        catch (PartitionUnavailableException e)
        {
            // Accepted, so it exists and runs on: the caller must follow it, not submit it again.
            throw new InvocationMovedException(accepted.Id, e);
        }
    }

    public async Task<OutputResult> GetOutputAsync(InvocationQuery query, bool wait, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(waitForResult: wait);
        Offer(OwnerOf(query), new PartitionCommand.GetOutput(query, pending));
        var answer = (OutputResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!wait || answer.Status != OutputStatus.NotReady)
        {
            return answer;
        }

        var result = await WaitForResult(pending, cancellationToken).ConfigureAwait(false);
        return answer with { Status = OutputStatus.Ready, Result = result };
    }

    /// <summary>Waits for the invocation's result; a caller that goes away cancels its waiter, which the partition then prunes.</summary>
    private async Task<InvocationResult> WaitForResult(PendingRequest pending, CancellationToken cancellationToken)
    {
        var completion = pending.Completion!;
        _awaitedResults.TryAdd(pending, 0);
        try
        {
            using var registration = cancellationToken.Register(() => completion.TrySetCanceled(cancellationToken));
            return await completion.Task.ConfigureAwait(false);
        }
        finally
        {
            _awaitedResults.TryRemove(pending, out _);
        }
    }

    public async Task CompleteAwakeableAsync(AwakeableId awakeable, InvocationResult result, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(waitForResult: false);
        Offer(OwnerOfKey(awakeable.InvocationId.PartitionKey), new PartitionCommand.CompleteAwakeable(awakeable, result, pending));
        await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Cancel(id, p), cancellationToken);

    public Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Kill(id, p), cancellationToken);

    public Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Purge(id, p), cancellationToken);

    public Task<ControlResult> PurgeJournalAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.PurgeJournal(id, p), cancellationToken);

    public Task<ControlResult> PauseAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Pause(id, p), cancellationToken);

    public Task<ControlResult> ResumeAsync(InvocationId id, ResumeDeployment deployment, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Resume(id, deployment, p), cancellationToken);

    /// <summary>The new invocation lives in the same partition as the old one (it has the same target), with a fresh id.</summary>
    public Task<ControlResult> RestartAsNewAsync(InvocationId id, CancellationToken cancellationToken)
    {
        var newId = new InvocationId(id.PartitionKey, InvocationId.New().Uuid);
        return Control(id, new PendingRequest(false), p => new PartitionCommand.RestartAsNew(id, newId, p), cancellationToken);
    }

    public async Task<ControlResult> ReplaceStateAsync(string service, string key, string? expectedVersion, IReadOnlyDictionary<string, byte[]> newState, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(false);
        Offer(OwnerOfKey(PartitionMap.KeyOf(service, key)), new PartitionCommand.ReplaceState(service, key, expectedVersion, newState, pending));
        return (ControlResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ControlResult> Control(InvocationId id, PendingRequest pending, Func<PendingRequest, PartitionCommand> command, CancellationToken cancellationToken)
    {
        Offer(OwnerOfKey(id.PartitionKey), command(pending));
        return (ControlResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues a client request, or refuses it at once when the partition is this far behind.</summary>
    private static void Offer(PartitionProcessor processor, PartitionCommand command)
    {
        if (!processor.TryEnqueueRequest(command))
        {
            throw new OverloadedException("The server is overloaded: too many requests are waiting. Retry later.");
        }
    }
}
