using Keel.Server.Core.Tests.Partitions;
using Keel.Server.Introspection;
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
