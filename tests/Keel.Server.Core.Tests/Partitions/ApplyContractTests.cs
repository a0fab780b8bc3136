using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// What Apply promises: a command that throws leaves no writes; a command returns exactly the writes
/// it made; a write outside the partition's key range is refused; the same commands on the same
/// state give the same state (ids included).
/// </summary>
public class ApplyContractTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    [Fact]
    public void A_command_that_throws_half_way_leaves_no_writes_and_later_commands_of_the_batch_still_apply()
    {
        var schema = new FakeSchema();
        var machine = new StateMachine(schema, new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
        var store = new MemoryStore();
        var tx = new Transaction(store);
        var tables = new Tables(tx);

        // The submit appends the Input entry, then fails while opening the attempt.
        schema.DeploymentLookupFailure = new InvalidOperationException("schema exploded");
        var failing = Commands.Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true));
        Assert.Throws<InvalidOperationException>(() => machine.Apply(tables, failing, Now));
        Assert.True(tx.IsEmpty);

        schema.DeploymentLookupFailure = null;
        var ok = machine.Apply(tables, Commands.Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true)), Now);
        tx.Commit();
        Assert.Single(ok.Actions.OfType<PartitionAction.Invoke>());
        Assert.Null(new Tables(new Transaction(store)).GetInvocation(failing.Id));
        Assert.NotNull(new Tables(new Transaction(store)).GetInvocation(ok.Actions.OfType<PartitionAction.Invoke>().Single().Request.Id));
    }

    [Fact]
    public void A_state_write_returns_exactly_its_journal_entry_state_entry_and_status_record()
    {
        var machine = new StateMachine(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
        var store = new MemoryStore();
        var submit = Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true));
        Apply(machine, store, submit);
        var attempt = new Tables(new Transaction(store)).GetInvocation(submit.Id)!;

        var set = new SetStateCommandMessage { Key = ByteString.CopyFromUtf8("total"), Value = new Value { Content = ByteString.CopyFromUtf8("5") } };
        var result = Apply(machine, store, new PartitionCommand.Effect(new InvokerEffect.Command(submit.Id, attempt.Attempt, 1, new JournalEntry(MessageType.SetStateCommand, set.ToByteArray()), false)));

        Assert.Equal([Table.Status, Table.Journal, Table.State], result.Mutations.Select(m => m.Table).Order());
        Assert.Equal(Keys.StateEntry("Counter", "k", "total"), result.Mutations.Single(m => m.Table == Table.State).Key);
        Assert.Equal(Keys.JournalEntry(submit.Id, 1), result.Mutations.Single(m => m.Table == Table.Journal).Key);
        Assert.Empty(result.Actions);
    }

    [Fact]
    public void Tables_refuse_a_write_outside_the_partitions_key_range()
    {
        var map = new PartitionMap(2);
        var key = Enumerable.Range(0, 100).Select(i => $"k{i}").First(k => map.PartitionOf(PartitionMap.KeyOf("Counter", k)) == 1);
        var tables = new Tables(new Transaction(new MemoryStore()), map, 0);
        Assert.Throws<PartitionOwnershipException>(() => tables.SetState("Counter", key, "a", [1]));
    }

    [Fact]
    public void The_same_commands_on_the_same_state_give_the_same_state_including_child_ids()
    {
        var first = Run();
        var second = Run();
        Assert.Equal(first.Count, second.Count);
        Assert.All(first.Zip(second), pair =>
        {
            Assert.Equal(pair.First.Table, pair.Second.Table);
            Assert.Equal(pair.First.Key, pair.Second.Key);
            Assert.Equal(pair.First.Value, pair.Second.Value);
        });

        static IReadOnlyList<(Table Table, byte[] Key, byte[] Value)> Run()
        {
            var machine = new StateMachine(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });
            var store = new MemoryStore();
            var submit = new PartitionCommand.Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true),
                Protocol.Ids.InvocationId.Deterministic(7, "fixed"), new object());
            Apply(machine, store, submit);
            var call = new CallCommandMessage { ServiceName = "Greeter", HandlerName = "greet", InvocationIdNotificationIdx = 1, ResultCompletionId = 2 };
            var send = new OneWayCallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = "k", InvocationIdNotificationIdx = 3 };
            Apply(machine, store, new PartitionCommand.Effect(new InvokerEffect.Command(submit.Id, 1, 1, new JournalEntry(MessageType.CallCommand, call.ToByteArray()), false)));
            Apply(machine, store, new PartitionCommand.Effect(new InvokerEffect.Command(submit.Id, 1, 2, new JournalEntry(MessageType.OneWayCallCommand, send.ToByteArray()), false)));
            return store.Dump();
        }
    }

    private static ApplyResult Apply(StateMachine machine, MemoryStore store, PartitionCommand command)
    {
        var tx = new Transaction(store);
        var result = machine.Apply(new Tables(tx), command, Now);
        tx.Commit();
        return result;
    }
}
