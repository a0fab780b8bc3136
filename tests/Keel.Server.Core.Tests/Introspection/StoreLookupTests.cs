using Keel.Server.Contracts;
using Keel.Server.Core.Tests.Partitions;
using Keel.Server.Introspection;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Introspection;

/// <summary>Invocations and journals read for given ids: by key, touching only those ids' entries, with the rows a scan gives.</summary>
public class StoreLookupTests
{
    private readonly PartitionHarness _h = new(new RuntimeOptions { DataDirectory = "unused", Partitions = 1 });

    [Fact]
    public void Rows_of_given_ids_are_read_by_key_and_match_the_scan()
    {
        var first = _h.Submit("Greeter", "greet");
        var second = _h.Submit("Counter", "add", "k");
        var third = _h.Submit("Greeter", "greet");
        _h.Submit("Counter", "add", "other"); // a second running journal, not asked for
        _h.Finish(first, "\"a\"");
        _h.Finish(third, "\"c\"");
        string[] wanted = [third.Id.ToString(), "inv_nonsense", first.Id.ToString(), third.Id.ToString()];

        var counting = new CountingSnapshot(_h.Store.OpenSnapshot());
        using var lookup = new StoreIntrospection(counting, new FakeSchema());
        var invocations = lookup.Invocations(wanted).Select(i => (i.Id, i.Status)).ToList();
        Assert.Equal(0, counting.Scanned(Table.Status));
        Assert.Equal(2, counting.Gets(Table.Status));

        var journal = lookup.Journal([second.Id.ToString()]).Select(j => (j.Id, j.Index, j.EntryType)).ToList();
        Assert.NotEmpty(journal);
        Assert.Equal(journal.Count, counting.Scanned(Table.Journal));

        using var scan = new StoreIntrospection(_h.Store.OpenSnapshot(), new FakeSchema());
        Assert.Equal(
            scan.Invocations().Where(i => wanted.Contains(i.Id)).Select(i => (i.Id, i.Status)),
            invocations);
        Assert.Equal(
            scan.Journal().Where(j => j.Id == second.Id.ToString()).Select(j => (j.Id, j.Index, j.EntryType)),
            journal);
        Assert.True(scan.Journal().Count() > journal.Count);
    }

    [Fact]
    public void Invocations_of_some_statuses_are_the_scan_filtered_and_the_phase_read_alone_is_the_decoded_one()
    {
        _h.Submit("Greeter", "greet");
        var done = _h.Submit("Counter", "add", "k");
        _h.Actions(Commands.Submit(new InvocationRequest("Counter", "add", "k", "1"u8.ToArray(), [], null, true))); // queued behind the first: inboxed
        _h.Finish(done, "\"a\"");

        using var scan = new StoreIntrospection(_h.Store.OpenSnapshot(), new FakeSchema());
        var counting = new CountingSnapshot(_h.Store.OpenSnapshot());
        using var lookup = new StoreIntrospection(counting, new FakeSchema());
        var unfinished = lookup.InvocationsWithStatus(status => status != "completed").Select(i => (i.Id, i.Status)).ToList();
        Assert.Equal(scan.Invocations().Where(i => i.Status != "completed").Select(i => (i.Id, i.Status)), unfinished);
        Assert.Equal(2, unfinished.Count);

        foreach (var (_, value) in _h.Store.OpenSnapshot().Scan(Table.Status, [], null))
        {
            Assert.Equal(RecordCodec.DecodeInvocation(default, value).Phase, RecordCodec.PhaseOf(value));
        }
    }

    [Fact]
    public void State_inbox_and_promises_of_given_objects_are_read_by_prefix_in_scan_order()
    {
        var store = new MemoryStore();
        var writes = new List<WriteOp>();
        foreach (var (service, key) in new[] { ("Counter", "a"), ("Counter", "ab"), ("Counter", "b"), ("Other", "a") })
        {
            writes.Add(new WriteOp(Table.State, Keys.StateEntry(service, key, "x"), [1]));
            writes.Add(new WriteOp(Table.State, Keys.StateEntry(service, key, "y"), [2]));
            writes.Add(new WriteOp(Table.Promises, Keys.Promise(service, key, "p"), RecordCodec.EncodePromise(new ResultRecord(true, [7], 0, null))));
        }

        store.Commit(writes);
        (string, string)[] wanted = [("Counter", "b"), ("Counter", "a"), ("Counter", "a"), ("Nobody", "z")];
        var counting = new CountingSnapshot(store.OpenSnapshot());
        using var lookup = new StoreIntrospection(counting, new FakeSchema());
        var state = lookup.State(wanted).Select(r => (r.ServiceName, r.ServiceKey, r.Key)).ToList();
        Assert.Equal(4, counting.Scanned(Table.State));
        var promises = lookup.Promises(wanted).Select(r => (r.ServiceName, r.ServiceKey, r.Key)).ToList();
        Assert.Equal(2, counting.Scanned(Table.Promises));

        using var scan = new StoreIntrospection(store.OpenSnapshot(), new FakeSchema());
        bool Wanted(string service, string key) => wanted.Contains((service, key));
        Assert.Equal(scan.State().Where(r => Wanted(r.ServiceName, r.ServiceKey)).Select(r => (r.ServiceName, r.ServiceKey, r.Key)), state);
        Assert.Equal(scan.Promises().Where(r => Wanted(r.ServiceName, r.ServiceKey)).Select(r => (r.ServiceName, r.ServiceKey, r.Key)), promises);
        Assert.Empty(lookup.Inbox(wanted));
    }

    /// <summary>A snapshot that counts the entries each table hands out.</summary>
    private sealed class CountingSnapshot(IStoreSnapshot inner) : IStoreSnapshot
    {
        private readonly Dictionary<Table, int> _scanned = [];
        private readonly Dictionary<Table, int> _gets = [];

        public int Scanned(Table table) => _scanned.GetValueOrDefault(table);

        public int Gets(Table table) => _gets.GetValueOrDefault(table);

        public byte[]? Get(Table table, ReadOnlySpan<byte> key)
        {
            _gets[table] = Gets(table) + 1;
            return inner.Get(table, key);
        }

        public IEnumerable<KeyValuePair<byte[], byte[]>> Scan(Table table, byte[] from, byte[]? to)
        {
            foreach (var entry in inner.Scan(table, from, to))
            {
                _scanned[table] = Scanned(table) + 1;
                yield return entry;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
