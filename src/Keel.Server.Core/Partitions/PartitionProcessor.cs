using System.Threading.Channels;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Storage;

namespace Keel.Server.Partitions;

/// <summary>
/// The imperative shell around one partition's state machine: a single loop drains its queue into a
/// batch, applies each command, commits the batch with one synced write (group commit), and only
/// then runs the actions — so nothing is acknowledged before it is on disk.
/// </summary>
public sealed class PartitionProcessor : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(1);
    private readonly Channel<PartitionCommand> _queue = Channel.CreateUnbounded<PartitionCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IKeyValueStore _store;
    private readonly StateMachine _stateMachine;
    private readonly IInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly Dictionary<InvocationId, List<TaskCompletionSource<InvocationResult>>> _waiters = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<byte[], ITimer> _timers = new(new ByteArrayEquality());
    private Task? _loop;

    private readonly int _partition;
    private readonly Action<int, PartitionCommand> _route;

    /// <param name="route">Enqueues a command into another partition (cross-partition handoff).</param>
    public PartitionProcessor(int partition, IKeyValueStore store, StateMachine stateMachine, IInvoker invoker, TimeProvider time, Action<int, PartitionCommand> route)
    {
        _partition = partition;
        _route = route;
        _store = store;
        _stateMachine = stateMachine;
        _invoker = invoker;
        _time = time;
    }

    /// <summary>Batches committed so far (one fsync each).</summary>
    public long Batches { get; private set; }

    /// <summary>How often completed invocations past their retention are deleted.</summary>
    public TimeSpan CleanupInterval { get; init; } = TimeSpan.FromMinutes(1);

    private ITimer? _cleanup;

    public void Start()
    {
        _loop = Task.Run(RunAsync);
        Enqueue(new PartitionCommand.Recover());
        _cleanup = _time.CreateTimer(_ => Enqueue(new PartitionCommand.Cleanup()), null, CleanupInterval, CleanupInterval);
    }

    public void Enqueue(PartitionCommand command) => _queue.Writer.TryWrite(command);

    private async Task RunAsync()
    {
        var batch = new List<PartitionCommand>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var command))
            {
                batch.Add(command);
            }

            var tx = new Transaction(_store);
            var tables = new Tables(tx, _partition);
            var actions = new List<PartitionAction>();
            var now = _time.GetUtcNow();
            foreach (var command in batch)
            {
                try
                {
                    actions.AddRange(_stateMachine.Apply(tables, command, now));
                }
#pragma warning disable CA1031 // One bad command must not stop the partition; it is reported and answered.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Console.Error.WriteLine($"keel: partition failed to apply {command.GetType().Name}: {e}");
                    if (ReplyToken(command) is { } token)
                    {
                        actions.Add(new PartitionAction.Reply(token, e));
                    }
                }
            }

            tx.Commit();
            Batches++;
            foreach (var action in actions)
            {
                try
                {
                    Run(action);
                }
#pragma warning disable CA1031 // The batch is durable; a failing action must not stop the partition.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Console.Error.WriteLine($"keel: partition failed to run {action.GetType().Name}: {e}");
                }
            }
        }
    }

    private void Run(PartitionAction action)
    {
        switch (action)
        {
            case PartitionAction.Invoke invoke:
                _invoker.Start(invoke.Request);
                break;
            case PartitionAction.Push push:
                _invoker.Push(push.Id, push.Attempt, push.Frame);
                break;
            case PartitionAction.Abort abort:
                _invoker.Abort(abort.Id, abort.Attempt);
                break;
            case PartitionAction.ScheduleTimer timer:
                ScheduleTimer(timer.At, timer.Key);
                break;
            case PartitionAction.Completed completed:
                if (_waiters.Remove(completed.Id, out var waiters))
                {
                    waiters.ForEach(w => w.TrySetResult(completed.Result));
                }

                break;
            case PartitionAction.Reply reply:
                Answer(reply.Token, reply.Value);
                break;
            case PartitionAction.Route route:
                _route(route.Partition, route.Command);
                break;
        }
    }

    /// <summary>Answers a request; requests that wait for a result register here, in the loop, so no completion can slip by.</summary>
    private void Answer(object token, object value)
    {
        switch (token)
        {
            case PendingRequest pending when value is Exception error:
                pending.Answer.TrySetException(error);
                break;
            case PendingRequest pending:
                if (pending.Completion is { } completion && WaitTarget(value) is { } id)
                {
                    if (!_waiters.TryGetValue(id, out var list))
                    {
                        _waiters[id] = list = [];
                    }

                    list.Add(completion);
                }

                pending.Answer.TrySetResult(value);
                break;
        }
    }

    private static object? ReplyToken(PartitionCommand command) => command switch
    {
        PartitionCommand.Submit s => s.Reply,
        PartitionCommand.CompleteAwakeable a => a.Reply,
        PartitionCommand.GetOutput g => g.Reply,
        PartitionCommand.Cancel c => c.Reply,
        PartitionCommand.Kill k => k.Reply,
        PartitionCommand.Purge p => p.Reply,
        _ => null,
    };

    private static InvocationId? WaitTarget(object value) => value switch
    {
        SubmitResult { Result: null } submit => submit.Id,
        OutputResult { Status: OutputStatus.NotReady, Id: { } id } => id,
        _ => null,
    };

    private void ScheduleTimer(DateTimeOffset at, byte[] key)
    {
        var due = at - _time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        // System timers take at most ~49 days; longer sleeps (1024 days is legal) re-arm on the way.
        var early = due > MaxTimerDue;
        _timers[key] = _time.CreateTimer(_ =>
        {
            _timers.TryRemove(key, out var _);
            if (early)
            {
                ScheduleTimer(at, key);
            }
            else
            {
                Enqueue(new PartitionCommand.TimerFired(key));
            }
        }, null, early ? MaxTimerDue : due, Timeout.InfiniteTimeSpan);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cleanup is not null)
        {
            await _cleanup.DisposeAsync().ConfigureAwait(false);
        }

        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var timer in _timers.Values.ToList())
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var waiter in _waiters.Values.SelectMany(w => w))
        {
            waiter.TrySetCanceled();
        }
    }

    private sealed class ByteArrayEquality : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length == 0 ? 0 : HashCode.Combine(obj.Length, obj[0], obj[^1], obj.Length > 8 ? obj[8] : 0);
    }
}

/// <summary>A request from the HTTP shell: its answer, and optionally the invocation's eventual result.</summary>
public sealed class PendingRequest(bool waitForResult)
{
    public TaskCompletionSource<object> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource<InvocationResult>? Completion { get; } =
        waitForResult ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;
}
