using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>A key's inbox drains however long it is, even when every queued invocation fails as it enters.</summary>
public sealed class InboxDrainTests
{
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    [Fact]
    public void A_long_inbox_of_a_service_that_is_gone_fails_entry_by_entry_without_overflowing_the_stack()
    {
        var holder = _h.Submit("Counter", "add", "k");
        const int queued = 2_000;
        var ids = new List<InvocationId>(queued);
        var tx = new Transaction(_h.Store);
        var tables = new Tables(tx);
        for (var i = 0; i < queued; i++)
        {
            var result = _h.Machine.Apply(tables, Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true)), PartitionHarness.Now);
            ids.Add(((SubmitResult)result.Actions.OfType<PartitionAction.Reply>().Single().Value).Id);
        }

        tx.Commit();
        Assert.Equal(queued, _h.Count(Table.Inbox));

        // The deployment is force-deleted, then the holder is killed: the key passes down the inbox
        // and each invocation fails as it enters. Run on a thread with a small stack, as a loaded
        // server's would be: the old recursion needed a frame chain per queued invocation.
        _h.Schema.Remove("Counter");
        Exception? thrown = null;
        var thread = new Thread(() =>
        {
            try
            {
                _h.Apply(new PartitionCommand.Kill(holder.Id, new object()));
            }
            catch (Exception e)
            {
                thrown = e;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();

        Assert.Null(thrown);
        Assert.Equal(0, _h.Count(Table.Inbox));
        foreach (var id in new[] { ids[0], ids[queued / 2], ids[^1] })
        {
            var record = _h.Record(id)!;
            Assert.Equal(InvocationPhase.Completed, record.Phase);
            Assert.False(record.Result!.Success);
            Assert.Contains("Counter", record.Result.Message);
        }

        Assert.Null(new Tables(new Transaction(_h.Store)).LockHolder("Counter", "k"));
    }
}
