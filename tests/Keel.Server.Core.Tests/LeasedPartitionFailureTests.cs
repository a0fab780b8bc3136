using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Core.Tests;

/// <summary>
/// Where partitions are served under leases (a cluster node), a storage failure costs the partition, not the process;
/// on one node it stops the runtime. The log says which of the two happens.
/// </summary>
public sealed class LeasedPartitionFailureTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_leased_partition_whose_storage_fails_is_given_up_and_the_runtime_goes_on()
    {
        var store = new MemoryStore();
        var log = new CapturedLog();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 }, new FakeSchema(), new NullInvoker(), TimeProvider.System, log);
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
        var stopped = log.Single("its storage failed");
        Assert.Contains("this node or another takes the partition over", stopped, StringComparison.Ordinal);
        Assert.DoesNotContain("restart", stopped, StringComparison.Ordinal);

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
        var log = new CapturedLog();
        await using var runtime = new KeelRuntime(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 }, new FakeSchema(), new NullInvoker(), TimeProvider.System, log);
        var failed = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.Failed += e => failed.TrySetResult(e);
        await runtime.StartAsync(store);
        await runtime.Activity.WhenIdleAsync().WaitAsync(Patience);

        store.FailCommitsWith = new IOException("disk gone");
        await Assert.ThrowsAsync<PartitionUnavailableException>(() =>
            runtime.SubmitAsync(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true), CancellationToken.None));

        Assert.Contains("disk gone", (await failed.Task.WaitAsync(Patience)).ToString(), StringComparison.Ordinal);
        var stopped = log.Single("its storage failed");
        Assert.Contains("the server stops", stopped, StringComparison.Ordinal);
        Assert.DoesNotContain("another", stopped, StringComparison.Ordinal);
    }

    /// <summary>The runtime's log lines, as formatted.</summary>
    private sealed class CapturedLog : ILoggerFactory, ILogger
    {
        private readonly List<(LogLevel Level, string Text)> _lines = [];

        /// <summary>The one line, at level Error or above, that contains <paramref name="text"/>.</summary>
        public string Single(string text)
        {
            lock (_lines)
            {
                return Assert.Single(_lines, l => l.Level >= LogLevel.Error && l.Text.Contains(text, StringComparison.Ordinal)).Text;
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add((logLevel, formatter(state, exception)));
            }
        }

        public void Dispose()
        {
        }
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
