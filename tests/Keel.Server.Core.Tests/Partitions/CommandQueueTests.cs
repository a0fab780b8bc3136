using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>The partition queue's room for internal work: producers that can wait are held while it is full.</summary>
public sealed class CommandQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static PartitionCommand Effect() =>
        new PartitionCommand.Effect(new InvokerEffect.Ended(InvocationId.New(1), 1));

    [Fact]
    public async Task A_producer_waits_while_the_internal_backlog_is_at_its_room_and_goes_on_once_the_partition_took_some()
    {
        var queue = new CommandQueue(externalCapacity: 10, internalRoom: 3);
        queue.Add(Effect());
        queue.Add(Effect());
        Assert.True(queue.WaitForRoomAsync(CancellationToken.None).IsCompletedSuccessfully);

        queue.Add(Effect());
        var room = queue.WaitForRoomAsync(CancellationToken.None).AsTask();
        var second = queue.WaitForRoomAsync(CancellationToken.None).AsTask();
        Assert.False(room.IsCompleted);

        var batch = new List<PartitionCommand>();
        Assert.True(queue.Take(batch, max: 1));
        await Task.WhenAll(room, second).WaitAsync(Patience);
        Assert.Equal(2, queue.Depth);
    }

    [Fact]
    public async Task Closing_the_queue_lets_every_waiting_producer_go()
    {
        var queue = new CommandQueue(externalCapacity: 10, internalRoom: 1);
        queue.Add(Effect());
        var room = queue.WaitForRoomAsync(CancellationToken.None).AsTask();
        Assert.False(room.IsCompleted);

        queue.Close();
        await room.WaitAsync(Patience);
        Assert.True(queue.WaitForRoomAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_waiting_producer_can_give_up()
    {
        var queue = new CommandQueue(externalCapacity: 10, internalRoom: 1);
        queue.Add(Effect());
        using var cancel = new CancellationTokenSource();
        var room = queue.WaitForRoomAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => room.WaitAsync(Patience));
    }

    [Fact]
    public async Task Producers_racing_the_consumer_are_never_left_waiting_with_room_free()
    {
        // Many producers wait while one consumer drains: each wait must end (a wake-up lost between
        // a producer publishing its wait and the consumer looking for waiters would hang it).
        var queue = new CommandQueue(externalCapacity: 10, internalRoom: 4);
        var consumer = Task.Run(() =>
        {
            var batch = new List<PartitionCommand>();
            var taken = 0;
            while (taken < 20_000 && queue.Take(batch, max: 3))
            {
                taken += batch.Count;
                batch.Clear();
            }
        });
        var producers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                await queue.WaitForRoomAsync(CancellationToken.None);
                queue.Add(Effect());
            }
        })).ToList();

        await Task.WhenAll(producers).WaitAsync(Patience);
        await consumer.WaitAsync(Patience);
        Assert.Equal(0, queue.Depth);
    }
}
