using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server;

/// <summary>
/// The runtime core the HTTP shell talks to: durable storage, the partition processor and its
/// state machine. Every answer is given after the batch that produced it is on disk.
/// </summary>
public sealed class KeelRuntime : IRuntimeApi, IInvokerEffectSink, IAsyncDisposable
{
    private readonly RuntimeOptions _options;
    private readonly ISchemaView _schema;
    private readonly IInvoker _invoker;
    private readonly TimeProvider _time;
    private IKeyValueStore? _store;
    private PartitionProcessor[]? _processors;
    private int _roundRobin;

    public KeelRuntime(RuntimeOptions options, ISchemaView schema, IInvoker invoker, TimeProvider time)
    {
        _options = options;
        _schema = schema;
        _invoker = invoker;
        _time = time;
    }

    /// <summary>Opens storage under the data directory, recovers, and resumes unfinished invocations and timers.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => StartAsync(new RocksDbStore(Path.Combine(_options.DataDirectory, "db")));

    /// <summary>Starts on a given store (tests use the in-memory one).</summary>
    public Task StartAsync(IKeyValueStore store)
    {
        _store = store;
        var count = Math.Max(1, _options.Partitions);
        CheckPartitionCount(store, count);
        var processors = new PartitionProcessor[count];
        for (var p = 0; p < count; p++)
        {
            processors[p] = new PartitionProcessor(p, store, new StateMachine(_schema, _options, p), _invoker, _time,
                (target, command) => processors[target].Enqueue(command));
        }

        _processors = processors;
        foreach (var processor in processors)
        {
            processor.Start();
        }

        return Task.CompletedTask;
    }

    /// <summary>The partition count is part of the data's layout: record it once, refuse another later.</summary>
    private static void CheckPartitionCount(IKeyValueStore store, int count)
    {
        var key = Keys.Meta("partitions");
        if (store.Get(Table.Meta, key) is { } stored)
        {
            var existing = int.Parse(System.Text.Encoding.UTF8.GetString(stored), System.Globalization.CultureInfo.InvariantCulture);
            if (existing != count)
            {
                store.Dispose();
                throw new InvalidOperationException($"This data directory was created with {existing} partitions; start the server with --partitions {existing}.");
            }

            return;
        }

        store.Commit([new WriteOp(Table.Meta, key, System.Text.Encoding.UTF8.GetBytes(count.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_processors is not null)
        {
            foreach (var processor in _processors)
            {
                await processor.DisposeAsync().ConfigureAwait(false);
            }

            _processors = null;
        }

        _store?.Dispose();
        _store = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private PartitionProcessor[] Processors => _processors ?? throw new InvalidOperationException("The runtime is not started.");

    /// <summary>The processor owning an invocation (its id's partition key decides).</summary>
    private PartitionProcessor Owner(InvocationId id) => Processors[(int)(id.PartitionKey % (ulong)Processors.Length)];

    private PartitionProcessor OwnerOfKey(ulong partitionKey) => Processors[(int)(partitionKey % (ulong)Processors.Length)];

    /// <summary>Where a new request goes: keyed targets and idempotent requests by hash, the rest round-robin.</summary>
    private PartitionProcessor OwnerOf(InvocationRequest request) =>
        request.Key is not null ? OwnerOfKey(StateMachine.PartitionKeyOf(request.Service, request.Key))
        : request.IdempotencyKey is { } ik ? OwnerOfKey(StateMachine.IdempotentPartitionKey(request.Service, null, request.Handler, ik))
        : Processors[(int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)Processors.Length)];

    private PartitionProcessor OwnerOf(InvocationQuery query) => query switch
    {
        InvocationQuery.ById byId => Owner(byId.Id),
        InvocationQuery.Workflow w => OwnerOfKey(StateMachine.PartitionKeyOf(w.Name, w.Key)),
        InvocationQuery.Idempotent i => OwnerOfKey(StateMachine.IdempotentPartitionKey(i.Service, i.Key, i.Handler, i.IdempotencyKey)),
        _ => Processors[0],
    };

    public void Submit(InvokerEffect effect) => Owner(effect.Id).Enqueue(new PartitionCommand.Effect(effect));

    public async Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = new PendingRequest(waitForResult: !request.IsSend);
        OwnerOf(request).Enqueue(new PartitionCommand.Submit(request, pending));
        var accepted = (SubmitResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (request.IsSend || accepted.Result is not null)
        {
            return accepted;
        }

        var result = await pending.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return accepted with { Result = result };
    }

    public async Task<OutputResult> GetOutputAsync(InvocationQuery query, bool wait, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(waitForResult: wait);
        OwnerOf(query).Enqueue(new PartitionCommand.GetOutput(query, pending));
        var answer = (OutputResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!wait || answer.Status != OutputStatus.NotReady)
        {
            return answer;
        }

        var result = await pending.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return answer with { Status = OutputStatus.Ready, Result = result };
    }

    public async Task CompleteAwakeableAsync(AwakeableId awakeable, InvocationResult result, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(waitForResult: false);
        Owner(awakeable.InvocationId).Enqueue(new PartitionCommand.CompleteAwakeable(awakeable, result, pending));
        await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Cancel(id, p), cancellationToken);

    public Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Kill(id, p), cancellationToken);

    public Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(id, new PendingRequest(false), p => new PartitionCommand.Purge(id, p), cancellationToken);

    private async Task<ControlResult> Control(InvocationId id, PendingRequest pending, Func<PendingRequest, PartitionCommand> command, CancellationToken cancellationToken)
    {
        Owner(id).Enqueue(command(pending));
        return (ControlResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
