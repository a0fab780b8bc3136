using Keel.Protocol.Ids;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// A call handed over for a handler the receiving partition's schema does not know (removed since the caller's
/// partition sent it): the caller is answered 404, a one-way call has nobody to answer, and either way the partition
/// says what it set aside, instead of dropping it unseen. Applied once and acknowledged, so it does not block the
/// hand-overs after it.
/// </summary>
public sealed class HandOverToUnknownHandlerTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private static readonly PartitionMap Map = new(2);
    private readonly MemoryStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 2 }, 1);

    [Fact]
    public void A_one_way_call_to_an_unknown_handler_is_logged_as_set_aside_and_acknowledged()
    {
        var child = InvocationId.New(Map.RangeStart(1));
        var actions = Apply(new PartitionCommand.Deliver(0, 1, new RemoteOp.CreateChild(child.ToString(), "Gone", "run", "", [], [], null, null, null, null)));

        var skipped = Assert.Single(actions.OfType<PartitionAction.RecordSkipped>());
        Assert.Contains("Gone/run", skipped.What, StringComparison.Ordinal);
        Assert.Contains("one-way call", skipped.Reason, StringComparison.Ordinal);
        Assert.Contains(actions, a => a is PartitionAction.Route(0, PartitionCommand.AckOutbox(1)));
    }

    [Fact]
    public void A_call_to_an_unknown_handler_answers_its_caller_404_and_is_logged_as_set_aside()
    {
        var child = InvocationId.New(Map.RangeStart(1));
        var caller = InvocationId.New(Map.RangeStart(0));
        var actions = Apply(new PartitionCommand.Deliver(0, 1, new RemoteOp.CreateChild(child.ToString(), "Gone", "run", "", [], [], null, caller.ToString(), 2, null)));

        var skipped = Assert.Single(actions.OfType<PartitionAction.RecordSkipped>());
        Assert.Contains("answered 404", skipped.Reason, StringComparison.Ordinal);
        Assert.Contains(actions, a => a is PartitionAction.Route(0, PartitionCommand.Deliver { Op: RemoteOp.NotifyInvocation }));
    }

    private List<PartitionAction> Apply(PartitionCommand command)
    {
        var tx = new Transaction(_store);
        var actions = _machine.Apply(new Tables(tx, Map, 1), command, Now).Actions;
        tx.Commit();
        return actions;
    }
}
