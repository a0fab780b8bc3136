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
    private PartitionProcessor? _processor;

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
        _processor = new PartitionProcessor(store, new StateMachine(_schema, _options), _invoker, _time);
        _processor.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_processor is not null)
        {
            await _processor.DisposeAsync().ConfigureAwait(false);
            _processor = null;
        }

        _store?.Dispose();
        _store = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private PartitionProcessor Processor => _processor ?? throw new InvalidOperationException("The runtime is not started.");

    public void Submit(InvokerEffect effect) => Processor.Enqueue(new PartitionCommand.Effect(effect));

    public async Task<SubmitResult> SubmitAsync(InvocationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = new PendingRequest(waitForResult: !request.IsSend);
        Processor.Enqueue(new PartitionCommand.Submit(request, pending));
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
        Processor.Enqueue(new PartitionCommand.GetOutput(query, pending));
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
        Processor.Enqueue(new PartitionCommand.CompleteAwakeable(awakeable, result, pending));
        await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<ControlResult> CancelAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(new PendingRequest(false), p => new PartitionCommand.Cancel(id, p), cancellationToken);

    public Task<ControlResult> KillAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(new PendingRequest(false), p => new PartitionCommand.Kill(id, p), cancellationToken);

    public Task<ControlResult> PurgeAsync(InvocationId id, CancellationToken cancellationToken) =>
        Control(new PendingRequest(false), p => new PartitionCommand.Purge(id, p), cancellationToken);

    private async Task<ControlResult> Control(PendingRequest pending, Func<PendingRequest, PartitionCommand> command, CancellationToken cancellationToken)
    {
        Processor.Enqueue(command(pending));
        return (ControlResult)await pending.Answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
