using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

/// <summary>Where partitions are served under leases (a cluster node), a storage failure costs the partition, not the process.</summary>
public sealed class LeasedPartitionFailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_leased_partition_whose_storage_fails_is_given_up_and_the_runtime_goes_on()
    {
        var store = new MemoryStore();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 }, new FakeSchema(), new NullInvoker(), TimeProvider.System);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lost = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.Failed += e => failed.TrySetResult(e);
        runtime.PartitionLost += p => lost.TrySetResult(p);
        runtime.StartServingNone(store);
        runtime.Acquire(0, store);
        await runtime.Activity.WhenIdleAsync().WaitAsync(Patience);

        store.FailCommitsWith = new IOException("the database restarted");
        await Assert.ThrowsAsync<PartitionUnavailableException>(() =>
            runtime.SubmitAsync(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true), CancellationToken.None));

        Assert.Equal(0, await lost.Task.WaitAsync(Patience));
        Assert.False(failed.Task.IsCompleted, "the runtime reported a failure that stops the process");
        Assert.Empty(runtime.LocalPartitions);

        // Taken again (as the lease loop does): it serves once more.
        store.FailCommitsWith = null;
        runtime.Acquire(0, store);
        var accepted = await runtime.SubmitAsync(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true), CancellationToken.None);
        Assert.NotNull(accepted);
    }

    [Fact]
    public async Task On_one_node_a_storage_failure_stops_the_runtime()
    {
        var store = new MemoryStore();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 }, new FakeSchema(), new NullInvoker(), TimeProvider.System);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.Failed += e => failed.TrySetResult(e);
        await runtime.StartAsync(store);
        await runtime.Activity.WhenIdleAsync().WaitAsync(Patience);

        store.FailCommitsWith = new IOException("disk gone");
        await Assert.ThrowsAsync<PartitionUnavailableException>(() =>
            runtime.SubmitAsync(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true), CancellationToken.None));

        Assert.Contains("disk gone", (await failed.Task.WaitAsync(Patience)).ToString(), StringComparison.Ordinal);
    }

    private sealed class NullInvoker : IInvoker
    {
        public void Start(InvokeRequest request)
        {
        }

        public void Push(InvocationId id, int attempt, ReadOnlyMemory<byte> encodedFrame)
        {
        }

        public void Abort(InvocationId id, int attempt)
        {
        }
    }
}
