using Keel.Protocol.Ids;
using Keel.Server.Contracts;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// A new invocation whose id the shell drew at random cannot have a record yet, so its creation does
/// not read its status (on PostgreSQL every such read was a cache miss and a round trip). Ids derived
/// from the request — idempotency keys, workflow runs — may name an existing invocation: they are
/// still read and still deduplicated, whatever the command claims.
/// </summary>
public class NewInvocationReadTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
    private readonly CountingStore _store = new();
    private readonly StateMachine _machine = new(new FakeSchema(), new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    [Theory]
    [InlineData("Greeter", "greet", null)]
    [InlineData("Counter", "add", "k")]
    public void A_request_without_idempotency_key_creates_its_invocation_without_reading_its_status(string service, string handler, string? key)
    {
        var submit = Commands.Submit(new InvocationRequest(service, handler, key, "1"u8.ToArray(), [], null, false));
        Assert.True(submit.FreshId);

        var result = Apply(submit);

        Assert.Equal(0, _store.StatusReadsOf(submit.Id));
        Assert.Equal(SubmitStatus.Accepted, ((SubmitResult)result.Actions.OfType<PartitionAction.Reply>().Single().Value).Status);
        Assert.Equal(submit.Id, result.Actions.OfType<PartitionAction.Invoke>().Single().Request.Id);
        // Its active-index entry is written as for any invocation that starts running.
        Assert.Contains(_store.Dump(), e => e.Table == Table.Active);
    }

    [Fact]
    public void A_request_with_an_idempotency_key_is_read_and_deduplicated_even_if_the_command_says_its_id_is_fresh()
    {
        var request = new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], "key-1", false);
        var first = Commands.Submit(request);
        Assert.False(first.FreshId);

        // A command wrongly claiming a fresh id (a shell that misjudged the request) must not break deduplication.
        var claimingFresh = first with { Reply = new object(), FreshId = true };
        var a = Reply(Apply(first));
        var b = Reply(Apply(claimingFresh));

        Assert.Equal((SubmitStatus.Accepted, SubmitStatus.PreviouslyAccepted), (a.Status, b.Status));
        Assert.Equal(a.Id, b.Id);
        Assert.True(_store.StatusReadsOf(a.Id) > 0);
        Assert.Single(_store.Dump(), e => e.Table == Table.Status);
    }

    [Fact]
    public void A_workflow_run_is_read_and_accepted_once_even_if_the_command_says_its_id_is_fresh()
    {
        var run = Commands.Submit(new InvocationRequest("Signup", "run", "wf-1", ReadOnlyMemory<byte>.Empty, [], null, true));
        Assert.False(run.FreshId);

        var a = Reply(Apply(run));
        var b = Reply(Apply(run with { Reply = new object(), FreshId = true }));

        Assert.Equal((SubmitStatus.Accepted, SubmitStatus.PreviouslyAccepted), (a.Status, b.Status));
        Assert.Equal(a.Id, b.Id);
        Assert.Single(_store.Dump(), e => e.Table == Table.Status);
    }

    private static SubmitResult Reply(ApplyResult result) => (SubmitResult)result.Actions.OfType<PartitionAction.Reply>().Single().Value;

    private ApplyResult Apply(PartitionCommand command)
    {
        var tx = new Transaction(_store);
        var result = _machine.Apply(new Tables(tx), command, Now);
        tx.Commit();
        return result;
    }

    /// <summary>The in-memory store, counting point reads of status records.</summary>
    private sealed class CountingStore : IKeyValueStore
    {
        private readonly MemoryStore _inner = new();
        private readonly Dictionary<string, int> _statusReads = [];

        public int StatusReadsOf(InvocationId id) => _statusReads.GetValueOrDefault(Convert.ToHexString(Keys.Invocation(id)));

        public IReadOnlyList<(Table Table, byte[] Key, byte[] Value)> Dump() => _inner.Dump();

        public byte[]? Get(Table table, ReadOnlySpan<byte> key)
        {
            if (table == Table.Status)
            {
                var hex = Convert.ToHexString(key);
                _statusReads[hex] = _statusReads.GetValueOrDefault(hex) + 1;
            }

            return _inner.Get(table, key);
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to) => _inner.Scan(table, from, to);

        public void Commit(IReadOnlyList<WriteOp> writes) => _inner.Commit(writes);

        public IStoreSnapshot OpenSnapshot() => _inner.OpenSnapshot();

        public void Dispose() => _inner.Dispose();
    }
}
