using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests;

/// <summary>Two partitions over one store: calls cross through the outbox, at most once, in order.</summary>
public class PartitioningTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly RuntimeOptions Options = new() { DataDirectory = "unused", Partitions = 2 };
    private static readonly PartitionMap Map = new(2);
    private readonly MemoryStore _store = new();
    private readonly StateMachine[] _machines = [new(new FakeSchema(), Options, 0), new(new FakeSchema(), Options, 1)];

    private List<PartitionAction> Apply(int partition, PartitionCommand command)
    {
        var tx = new Transaction(_store);
        var actions = _machines[partition].Apply(new Tables(tx, Map, partition), command, Now).Actions;
        tx.Commit();
        foreach (var followUp in actions.OfType<PartitionAction.FollowUp>().ToList())
        {
            actions.AddRange(Apply(partition, followUp.Command));
        }

        return actions;
    }

    /// <summary>An object key owned by the given partition.</summary>
    private string KeyIn(int partition) =>
        Enumerable.Range(0, 100).Select(i => $"k{i}").First(k => Map.PartitionOf(PartitionMap.KeyOf("Counter", k)) == partition);

    [Fact]
    public void A_call_to_an_object_in_another_partition_is_handed_over_durably_and_applied_once()
    {
        var caller = Apply(0, Commands.Submit(new InvocationRequest("Greeter", "greet", null, ReadOnlyMemory<byte>.Empty, [], null, true), 2, 0))
            .OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(0, _machines[0].PartitionOf(caller.Id));

        var key = KeyIn(1);
        var call = new CallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = key, InvocationIdNotificationIdx = 1, ResultCompletionId = 2 };
        var actions = Apply(0, new PartitionCommand.Effect(new InvokerEffect.Command(caller.Id, caller.Attempt, 1, new JournalEntry(MessageType.CallCommand, call.ToByteArray()), false)));
        Assert.Single(actions.OfType<PartitionAction.Push>());
        var route = Assert.Single(actions.OfType<PartitionAction.Route>());
        Assert.Equal(1, route.Partition);
        var deliver = Assert.IsType<PartitionCommand.Deliver>(route.Command);
        Assert.Single(new Tables(new Transaction(_store), Map, 0).Outbox());

        var created = Apply(1, deliver);
        var child = created.OfType<PartitionAction.Invoke>().Single().Request;
        Assert.Equal(1, _machines[1].PartitionOf(child.Id));
        var ack = Assert.IsType<PartitionCommand.AckOutbox>(created.OfType<PartitionAction.Route>().Single(r => r.Partition == 0).Command);

        // A redelivery (e.g. after a crash before the ack) is acknowledged but not applied again.
        var again = Apply(1, deliver);
        Assert.Empty(again.OfType<PartitionAction.Invoke>());
        Assert.Single(again.OfType<PartitionAction.Route>());

        Apply(0, ack);
        Assert.Empty(new Tables(new Transaction(_store), Map, 0).Outbox());

        // The child's result travels back to the caller's partition the same way.
        Apply(1, new PartitionCommand.Effect(new InvokerEffect.Command(child.Id, child.Attempt, 1,
            new JournalEntry(MessageType.OutputCommand, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("5") } }.ToByteArray()), false)));
        var done = Apply(1, new PartitionCommand.Effect(new InvokerEffect.Ended(child.Id, child.Attempt)));
        var back = (PartitionCommand.Deliver)done.OfType<PartitionAction.Route>().Single(r => r.Partition == 0).Command;
        var resultPush = Apply(0, back).OfType<PartitionAction.Push>().Single();
        Assert.Equal(MessageType.CallCompletion, FrameHeader.ReadFrom(resultPush.Frame).Type);
    }

    [Fact]
    public void Recovery_redelivers_unacknowledged_outbox_entries()
    {
        var caller = Apply(0, Commands.Submit(new InvocationRequest("Greeter", "greet", null, ReadOnlyMemory<byte>.Empty, [], null, true), 2, 0))
            .OfType<PartitionAction.Invoke>().Single().Request;
        var send = new OneWayCallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = KeyIn(1), InvocationIdNotificationIdx = 1 };
        Apply(0, new PartitionCommand.Effect(new InvokerEffect.Command(caller.Id, caller.Attempt, 1, new JournalEntry(MessageType.OneWayCallCommand, send.ToByteArray()), false)));

        var recovered = Apply(0, new PartitionCommand.Recover());
        var redelivery = Assert.Single(recovered.OfType<PartitionAction.Route>());
        Assert.Equal(1, redelivery.Partition);
        Assert.Single(Apply(1, redelivery.Command).OfType<PartitionAction.Invoke>());
    }

    /// <summary>Three one-way sends from one partition to objects in the other: three hand-overs, in send order.</summary>
    private List<PartitionCommand.Deliver> ThreeSendsFromPartition0()
    {
        var caller = Apply(0, Commands.Submit(new InvocationRequest("Greeter", "greet", null, ReadOnlyMemory<byte>.Empty, [], null, true), 2, 0))
            .OfType<PartitionAction.Invoke>().Single().Request;
        var delivers = new List<PartitionCommand.Deliver>();
        for (var i = 1; i <= 3; i++)
        {
            var send = new OneWayCallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = KeyIn(1), InvocationIdNotificationIdx = (uint)i };
            var actions = Apply(0, new PartitionCommand.Effect(new InvokerEffect.Command(caller.Id, caller.Attempt, (uint)i, new JournalEntry(MessageType.OneWayCallCommand, send.ToByteArray()), false)));
            delivers.Add((PartitionCommand.Deliver)actions.OfType<PartitionAction.Route>().Single().Command);
        }

        return delivers;
    }

    [Fact]
    public void Each_hand_over_names_the_previous_one_to_the_same_target()
    {
        var delivers = ThreeSendsFromPartition0();
        Assert.Equal([0UL, delivers[0].Seq, delivers[1].Seq], delivers.Select(d => d.Previous!.Value));
        var redelivered = Apply(0, new PartitionCommand.RedeliverOutbox()).OfType<PartitionAction.Route>().Select(r => (PartitionCommand.Deliver)r.Command);
        Assert.Equal(delivers.Select(d => (d.Seq, d.Previous)), redelivered.Select(d => (d.Seq, d.Previous)));
    }

    [Fact]
    public void A_hand_over_that_arrives_after_a_lost_one_waits_for_it_and_redelivery_applies_both_in_order()
    {
        var delivers = ThreeSendsFromPartition0();

        int Invocations() => _store.Dump().Count(e => e.Table == Table.Status);
        Assert.Equal(1, Invocations());

        // The first hand-over was lost between nodes; the second arrives: not applied, not acknowledged.
        Assert.Empty(Apply(1, delivers[1]));
        Assert.Equal(1, Invocations());

        // Redelivery brings all three in order: each applied once, each acknowledged.
        var applied = delivers.Select(d => Apply(1, d)).ToList();
        Assert.All(applied, actions => Assert.IsType<PartitionCommand.AckOutbox>(Assert.Single(actions.OfType<PartitionAction.Route>()).Command));
        Assert.Equal(4, Invocations());

        // Arriving again (a redelivery racing an ack), they are acknowledged and not applied twice.
        var again = delivers.Select(d => Apply(1, d)).ToList();
        Assert.All(again, actions => Assert.IsType<PartitionCommand.AckOutbox>(Assert.Single(actions.OfType<PartitionAction.Route>()).Command));
        Assert.Equal(4, Invocations());
    }
}
