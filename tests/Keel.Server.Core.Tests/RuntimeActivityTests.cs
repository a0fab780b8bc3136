using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

/// <summary>The runtime's count of work in flight and its next durable timer: what the users' test clock waits on and skips to.</summary>
public sealed class RuntimeActivityTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private sealed class CountingInvoker : IInvoker
    {
        private int _started;

        public int Started => Volatile.Read(ref _started);

        public void Start(InvokeRequest request) => Interlocked.Increment(ref _started);

        public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
        {
        }

        public void Abort(InvocationId id, int attempt)
        {
        }
    }

    [Fact]
    public async Task Waiting_for_idle_completes_when_the_last_piece_of_work_ends()
    {
        var activity = new RuntimeActivity();
        Assert.True(activity.WhenIdleAsync().IsCompleted);

        activity.Begin();
        activity.Begin(2);
        var idle = activity.WhenIdleAsync();
        var generation = activity.Generation;
        activity.End(2);
        Assert.False(idle.IsCompleted);

        activity.End();
        await idle.WaitAsync(Patience);
        Assert.True(activity.IsIdle);
        Assert.Equal(generation, activity.Generation);
    }

    [Fact]
    public async Task Waiting_for_idle_can_be_cancelled()
    {
        var activity = new RuntimeActivity();
        activity.Begin();
        using var cancel = new CancellationTokenSource();
        var idle = activity.WhenIdleAsync(cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => idle);
    }

    [Fact]
    public async Task The_runtime_is_idle_only_after_an_accepted_send_has_started_its_attempt()
    {
        var invoker = new CountingInvoker();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 2 }, new FakeSchema(), invoker, TimeProvider.System);
        await runtime.StartAsync(new MemoryStore());

        await runtime.SubmitAsync(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true), CancellationToken.None);
        await runtime.Activity.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(1, invoker.Started);
        Assert.Null(runtime.NextTimerDue());
    }

    [Fact]
    public async Task The_next_timer_due_is_the_earliest_over_all_partitions()
    {
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 2 }, new FakeSchema(), new CountingInvoker(), TimeProvider.System);
        await runtime.StartAsync(new MemoryStore());
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        foreach (var (key, delay) in new[] { ("a", TimeSpan.FromHours(3)), ("b", TimeSpan.FromHours(1)), ("c", TimeSpan.FromDays(2)) })
        {
            await runtime.SubmitAsync(new InvocationRequest("Counter", "add", key, "1"u8.ToArray(), [], null, true, now + delay), CancellationToken.None);
        }

        await runtime.Activity.WhenIdleAsync().WaitAsync(Patience);
        Assert.Equal(now + TimeSpan.FromHours(1), runtime.NextTimerDue());
    }
}
