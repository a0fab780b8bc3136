using System.Collections.Concurrent;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>The shell around the state machine: commit before actions, atomic commands, loud storage failures, bounded queues.</summary>
public sealed class PartitionProcessorTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeSchema _schema = new();
    private readonly GatedStore _store = new();
    private readonly RecordingInvoker _invoker = new();
    private PartitionProcessor? _processor;

    private PartitionProcessor Start(ProcessorOptions? options = null, RuntimeActivity? activity = null, TimeProvider? time = null)
    {
        var runtimeOptions = new RuntimeOptions { DataDirectory = "unused", Partitions = 1 };
        _processor = new PartitionProcessor(0, _store, new StateMachine(_schema, runtimeOptions), _schema, _invoker, time ?? TimeProvider.System, (_, _) => { }, options: options, activity: activity);
        _processor.Start();
        return _processor;
    }

    private static (PartitionCommand.Submit Command, PendingRequest Pending) Send()
    {
        var pending = new PendingRequest(waitForResult: false);
        var request = new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true);
        return (new PartitionCommand.Submit(request, Commands.IdFor(request), pending), pending);
    }

    [Fact]
    public async Task Actions_run_only_after_their_batch_is_durable()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        _store.Hold();
        var (command, pending) = Send();
        Assert.True(processor.TryEnqueueRequest(command));

        await _store.Entered.Task.WaitAsync(Patience);
        Assert.Empty(_invoker.Started);
        Assert.False(pending.Answer.Task.IsCompleted);

        _store.Release();
        var accepted = (SubmitResult)await pending.Answer.Task.WaitAsync(Patience);
        await _invoker.WaitForStartAsync(accepted.Id, Patience);
        Assert.NotNull(_store.Inner.Get(Table.Status, Keys.Invocation(accepted.Id)));
    }

    [Fact]
    public async Task A_request_that_arrives_after_the_partition_stopped_is_refused_not_left_waiting()
    {
        // The shell looked the partition up just before it was released; its request lands in a queue
        // nobody takes from any more. It must be answered (as not served here, so it can be forwarded).
        var processor = Start();
        await _store.WaitForIdleAsync();
        await processor.DisposeAsync();

        var (request, pending) = Send();
        Assert.True(processor.TryEnqueueRequest(request));
        await Assert.ThrowsAsync<PartitionNotOwnedException>(() => pending.Answer.Task.WaitAsync(Patience));

        var (effect, internalPending) = Send();
        processor.Enqueue(effect);
        await Assert.ThrowsAsync<PartitionNotOwnedException>(() => internalPending.Answer.Task.WaitAsync(Patience));
        Assert.Null(_store.Inner.Get(Table.Status, Keys.Invocation(request.Id)));
    }

    [Fact]
    public async Task At_recovery_an_invocation_that_cannot_be_resumed_is_paused_with_its_error_and_the_others_resume()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        var ids = new List<InvocationId>();
        for (var i = 0; i < 3; i++)
        {
            var (command, pending) = Send();
            Assert.True(processor.TryEnqueueRequest(command));
            var id = ((SubmitResult)await pending.Answer.Task.WaitAsync(Patience)).Id;
            await _invoker.WaitForStartAsync(id, Patience);
            ids.Add(id);
        }

        await processor.DisposeAsync();
        // One invocation's journal is unreadable (a record older code wrote, a bit flip).
        _store.Inner.Commit([new WriteOp(Table.Journal, Keys.JournalEntry(ids[1], 0), [0xFF])]);

        var runtimeOptions = new RuntimeOptions { DataDirectory = "unused", Partitions = 1 };
        _processor = new PartitionProcessor(0, _store, new StateMachine(_schema, runtimeOptions), _schema, _invoker, TimeProvider.System, (_, _) => { }, options: null, activity: null);
        _processor.Start();

        var deadline = DateTime.UtcNow + Patience;
        while (_invoker.Started.Count(s => s.Attempt == 2) < 2 || Record(ids[1])?.Phase != Keel.Server.Model.InvocationPhase.Paused)
        {
            Assert.True(DateTime.UtcNow < deadline, "recovery did not resume the readable invocations and pause the other");
            await Task.Delay(20);
        }

        Assert.Equal(new[] { ids[0], ids[2] }.Select(i => i.ToString()).Order(), _invoker.Started.Where(s => s.Attempt == 2).Select(s => s.Id.ToString()).Order());
        Assert.Contains("could not resume", Record(ids[1])!.LastFailure!.Message, StringComparison.Ordinal);
        Assert.Null(_processor.Failure);
    }

    private Keel.Server.Model.InvocationRecord? Record(InvocationId id) => new Tables(new Transaction(_store.Inner)).GetInvocation(id);

    [Fact]
    public async Task A_storage_read_that_fails_stops_the_partition_and_answers_503_not_500()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        _store.FailReadsWith = new IOException("disk gone");

        var (command, pending) = Send();
        processor.TryEnqueueRequest(command);

        await Assert.ThrowsAsync<PartitionUnavailableException>(() => pending.Answer.Task.WaitAsync(Patience));
        Assert.NotNull(processor.Failure);
    }

    [Fact]
    public async Task A_command_that_throws_is_answered_with_an_error_and_leaves_no_writes()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        _schema.DeploymentLookupFailure = new InvalidOperationException("boom");
        var (command, pending) = Send();
        processor.TryEnqueueRequest(command);

        var error = await Assert.ThrowsAsync<InternalErrorException>(() => pending.Answer.Task.WaitAsync(Patience));
        Assert.Contains("boom", error.Message, StringComparison.Ordinal);
        Assert.Null(_store.Inner.Get(Table.Status, Keys.Invocation(command.Id)));
        Assert.Null(processor.Failure);
    }

    [Fact]
    public async Task A_failing_commit_stops_the_partition_visibly_and_answers_every_client()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        processor.Failed += (_, e) => failed.TrySetResult(e);
        _store.Inner.FailCommitsWith = new IOException("disk gone");

        var (command, pending) = Send();
        processor.TryEnqueueRequest(command);

        await Assert.ThrowsAsync<PartitionUnavailableException>(() => pending.Answer.Task.WaitAsync(Patience));
        var reported = await failed.Task.WaitAsync(Patience);
        Assert.Contains("disk gone", reported.Message, StringComparison.Ordinal);
        Assert.NotNull(processor.Failure);
        Assert.Empty(_invoker.Started);

        // Later requests are refused at once, not left hanging.
        var (later, laterPending) = Send();
        processor.TryEnqueueRequest(later);
        Assert.True(laterPending.Answer.Task.IsFaulted);
    }

    [Fact]
    public async Task New_requests_are_refused_when_the_queue_is_full()
    {
        var processor = Start(new ProcessorOptions { QueueCapacity = 4 });
        await _store.WaitForIdleAsync();
        _store.Hold();
        var refused = 0;
        for (var i = 0; i < 10_000 && refused == 0; i++)
        {
            if (!processor.TryEnqueueRequest(Send().Command))
            {
                refused++;
            }
        }

        Assert.Equal(1, refused);
        _store.Release();
    }

    [Fact]
    public async Task A_command_counts_as_work_in_flight_until_its_batch_is_durable_and_its_actions_ran()
    {
        var activity = new RuntimeActivity();
        var processor = Start(activity: activity);
        await activity.WhenIdleAsync().WaitAsync(Patience);
        _store.Hold();
        var (command, pending) = Send();
        Assert.True(processor.TryEnqueueRequest(command));

        await _store.Entered.Task.WaitAsync(Patience);
        var idle = activity.WhenIdleAsync();
        Assert.False(idle.IsCompleted);

        _store.Release();
        await idle.WaitAsync(Patience);
        var accepted = (SubmitResult)await pending.Answer.Task.WaitAsync(Patience);
        Assert.Contains(_invoker.Started, r => r.Id == accepted.Id);
    }

    [Fact]
    public async Task Refused_requests_leave_no_work_counted()
    {
        var activity = new RuntimeActivity();
        var processor = Start(new ProcessorOptions { QueueCapacity = 2 }, activity);
        await activity.WhenIdleAsync().WaitAsync(Patience);
        _store.Hold();
        while (processor.TryEnqueueRequest(Send().Command))
        {
        }

        _store.Release();
        await activity.WhenIdleAsync().WaitAsync(Patience);
        Assert.Equal(0, activity.InFlight);
    }

    /// <summary>A started processor with one accepted invocation whose first attempt has started.</summary>
    private async Task<(PartitionProcessor Processor, InvocationId Id)> StartOneInvocationAsync()
    {
        var processor = Start();
        await _store.WaitForIdleAsync();
        var (command, pending) = Send();
        Assert.True(processor.TryEnqueueRequest(command));
        var id = ((SubmitResult)await pending.Answer.Task.WaitAsync(Patience)).Id;
        await _invoker.WaitForStartAsync(id, Patience);
        return (processor, id);
    }

    [Fact]
    public async Task An_attempt_reloads_its_replay_through_the_partition_until_a_later_attempt_replaces_it()
    {
        var (processor, id) = await StartOneInvocationAsync();
        var first = _invoker.Started.Single(r => r.Id == id);
        Assert.NotNull(first.Reload);

        var inputs = await first.Reload!(CancellationToken.None).WaitAsync(Patience);
        Assert.NotNull(inputs);
        Assert.Equal(first.Journal.Select(e => Convert.ToHexString(e.Payload.Span)), inputs!.Journal.Select(e => Convert.ToHexString(e.Payload.Span)));

        // The attempt fails and the invocation is retried: the first attempt's reload now answers "not current".
        processor.Enqueue(new PartitionCommand.Effect(new InvokerEffect.Failed(id, first.Attempt, new AttemptFailure(500, "boom", NextRetryDelay: TimeSpan.Zero))));
        var deadline = DateTime.UtcNow + Patience;
        while (!_invoker.Started.Any(r => r.Id == id && r.Attempt > first.Attempt))
        {
            Assert.True(DateTime.UtcNow < deadline, "the failed attempt was not retried");
            await Task.Delay(10);
        }

        Assert.Null(await first.Reload(CancellationToken.None).WaitAsync(Patience));
        var second = _invoker.Started.Single(r => r.Id == id && r.Attempt > first.Attempt);
        Assert.NotNull(await second.Reload!(CancellationToken.None).WaitAsync(Patience));
    }

    [Fact]
    public async Task A_reload_asked_of_a_stopped_partition_is_refused_not_left_waiting()
    {
        var (processor, id) = await StartOneInvocationAsync();
        await processor.DisposeAsync();

        var reload = _invoker.Started.Single(r => r.Id == id).Reload!;
        await Assert.ThrowsAsync<PartitionNotOwnedException>(() => reload(CancellationToken.None).WaitAsync(Patience));
    }

    public async ValueTask DisposeAsync()
    {
        _store.Release();
        if (_processor is not null)
        {
            await _processor.DisposeAsync();
        }
    }

    /// <summary>A memory store whose commits can be held at the door, to observe what happens before durability.</summary>
    private sealed class GatedStore : IKeyValueStore
    {
        private readonly ManualResetEventSlim _open = new(true);
        private int _commits;

        public MemoryStore Inner { get; } = new();

        public TaskCompletionSource Entered { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Hold()
        {
            Entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open.Reset();
        }

        public void Release() => _open.Set();

        /// <summary>Waits until the start-up batch (recovery) has been committed.</summary>
        public async Task WaitForIdleAsync()
        {
            var deadline = DateTime.UtcNow + Patience;
            while (Volatile.Read(ref _commits) == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Yield();
            }
        }

        /// <summary>When set, reads throw it (a disk or database that fails under the partition).</summary>
        public Exception? FailReadsWith { get; set; }

        public byte[]? Get(Table table, ReadOnlySpan<byte> key) => FailReadsWith is { } failure ? throw failure : Inner.Get(table, key);

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => FailReadsWith is { } failure ? throw failure : Inner.Scan(table, from, to);

        public void Commit(IReadOnlyList<WriteOp> writes)
        {
            Entered.TrySetResult();
            _open.Wait();
            Inner.Commit(writes);
            Interlocked.Increment(ref _commits);
        }

        public IStoreSnapshot OpenSnapshot() => Inner.OpenSnapshot();

        public void Dispose() => _open.Dispose();
    }

    [Fact]
    public async Task Due_timers_wait_while_the_invoker_has_attempts_waiting()
    {
        // A million overdue sends after a restart must not all become attempts waiting in memory.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var processor = Start(new ProcessorOptions { TimerFireWatermark = 8 }, time: time);
        _invoker.Backlog = 8;
        var pending = new PendingRequest(waitForResult: false);
        var request = new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true, time.GetUtcNow().AddSeconds(30));
        processor.Enqueue(new PartitionCommand.Submit(request, Commands.IdFor(request), pending));
        var id = ((SubmitResult)await pending.Answer.Task.WaitAsync(Patience)).Id;
        Assert.True(SpinWait.SpinUntil(() => processor.TimersInMemory == 1, Patience), "the timer is in the window");

        // Due now: the window's tick runs inside Advance, finds no room and keeps the timer.
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, processor.TimersInMemory);
        Assert.DoesNotContain(_invoker.Started, r => r.Id == id);

        _invoker.Backlog = 0;
        time.Advance(TimeSpan.FromSeconds(1));
        await _invoker.WaitForStartAsync(id, Patience);
    }

    private sealed class RecordingInvoker : IInvoker
    {
        private readonly ConcurrentDictionary<InvocationId, TaskCompletionSource> _starts = new();

        private int _backlog;

        public int Backlog
        {
            get => Volatile.Read(ref _backlog);
            set => Volatile.Write(ref _backlog, value);
        }

        public ConcurrentQueue<InvokeRequest> Started { get; } = new();

        public Task WaitForStartAsync(InvocationId id, TimeSpan timeout) => Signal(id).Task.WaitAsync(timeout);

        public void Start(InvokeRequest request)
        {
            Started.Enqueue(request);
            Signal(request.Id).TrySetResult();
        }

        public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
        {
        }

        public void Abort(InvocationId id, int attempt)
        {
        }

        private TaskCompletionSource Signal(InvocationId id) => _starts.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
