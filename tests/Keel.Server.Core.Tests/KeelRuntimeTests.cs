using System.Text;
using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

public class KeelRuntimeTests
{
    private sealed class NoInvoker : IInvoker
    {
        public int Backlog { get; set; }

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

    private static KeelRuntime Runtime(int partitions = 2, NoInvoker? invoker = null) =>
        new(new RuntimeOptions { DataDirectory = "unused", Partitions = partitions, MaxInvokerBacklog = 100 }, new FakeSchema(), invoker ?? new NoInvoker(), TimeProvider.System);

    [Fact]
    public async Task New_requests_are_refused_while_the_invoker_backlog_is_full_and_accepted_again_after()
    {
        var invoker = new NoInvoker { Backlog = 100 };
        await using var runtime = Runtime(2, invoker);
        await runtime.StartAsync(new MemoryStore());
        var request = new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true);
        await Assert.ThrowsAsync<Keel.Server.Partitions.OverloadedException>(() => runtime.SubmitAsync(request, CancellationToken.None));

        invoker.Backlog = 99;
        Assert.Equal(SubmitStatus.Accepted, (await runtime.SubmitAsync(request, CancellationToken.None)).Status);
    }

    [Fact]
    public async Task Data_written_in_the_older_format_is_migrated_at_start()
    {
        var store = new MemoryStore();
        store.Commit([new WriteOp(Table.Meta, Keys.Meta("partitions"), Encoding.UTF8.GetBytes("2"))]);
        await using var runtime = Runtime();
        await runtime.StartAsync(store);
        Assert.Equal("2", Encoding.UTF8.GetString(store.Get(Table.Meta, Keys.Meta("format"))!));
    }

    [Fact]
    public async Task A_different_partition_count_is_refused_and_the_same_one_accepted()
    {
        var store = new MemoryStore();
        await using (var first = Runtime(2))
        {
            await first.StartAsync(store);
        }

        var reopened = new MemoryStore();
        foreach (var (table, key, value) in store.Dump())
        {
            reopened.Commit([new WriteOp(table, key, value)]);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Runtime(3).StartAsync(reopened));
        Assert.Contains("--partitions 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sent_invocation_is_accepted_once_durable_and_routed_to_its_partition()
    {
        var store = new MemoryStore();
        await using var runtime = Runtime(4);
        await runtime.StartAsync(store);
        var result = await runtime.SubmitAsync(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true), CancellationToken.None);
        Assert.Equal(SubmitStatus.Accepted, result.Status);
        Assert.Equal(PartitionMap.KeyOf("Counter", "k"), result.Id.PartitionKey);
        Assert.NotNull(store.Get(Table.Status, Keys.Invocation(result.Id)));
    }
}
