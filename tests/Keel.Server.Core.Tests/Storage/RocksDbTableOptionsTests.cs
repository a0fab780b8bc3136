using System.Text.RegularExpressions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Storage;

/// <summary>
/// The table options the store opens with, read back from what RocksDB itself records in the
/// database folder: the OPTIONS file (the options in effect, per column family) and its LOG.
/// </summary>
public sealed partial class RocksDbTableOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keel-rocks-options-").FullName;

    [Fact]
    public void Every_table_has_a_whole_key_bloom_filter_and_keeps_index_and_filter_blocks_in_the_block_cache()
    {
        using (var store = new RocksDbStore(_dir))
        {
            store.Commit([new WriteOp(Table.Status, [1], [1])]);
        }

        var options = File.ReadAllText(Directory.GetFiles(_dir, "OPTIONS-*").OrderBy(f => f, StringComparer.Ordinal).Last());
        foreach (var table in Enum.GetValues<Table>())
        {
            var section = Section(options, $"[TableOptions/BlockBasedTable \"{table}\"]");
            Assert.Contains("filter_policy=bloomfilter", section, StringComparison.Ordinal);
            Assert.Contains("whole_key_filtering=true", section, StringComparison.Ordinal);
            Assert.Contains("no_block_cache=false", section, StringComparison.Ordinal);
            Assert.Contains("cache_index_and_filter_blocks=true", section, StringComparison.Ordinal);
            Assert.Contains("cache_index_and_filter_blocks_with_high_priority=true", section, StringComparison.Ordinal);
            Assert.Contains("pin_l0_filter_and_index_blocks_in_cache=true", section, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void All_tables_share_one_block_cache_of_the_size_given()
    {
        using (new RocksDbStore(_dir, 48L << 20))
        {
        }

        // RocksDB logs each column family's table factory: its cache (an address) and that cache's capacity.
        var log = File.ReadAllText(Path.Combine(_dir, "LOG"));
        var capacities = CapacityLine().Matches(log).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var caches = CacheLine().Matches(log).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(capacities);
        Assert.All(capacities, c => Assert.Equal(48L << 20, c));
        Assert.Single(caches);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void A_block_cache_that_is_not_positive_is_refused_before_anything_is_created(long bytes)
    {
        var directory = Path.Combine(_dir, "never");
        Assert.Throws<ArgumentOutOfRangeException>(() => new RocksDbStore(directory, bytes));
        Assert.False(Directory.Exists(directory));
    }

    private static string Section(string options, string header)
    {
        var start = options.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{header} is not in the OPTIONS file");
        var end = options.IndexOf("\n[", start + header.Length, StringComparison.Ordinal);
        return end < 0 ? options[start..] : options[start..end];
    }

    [GeneratedRegex(@"block_cache_options:\s*\n\s*capacity : (\d+)")]
    private static partial Regex CapacityLine();

    [GeneratedRegex(@"\bblock_cache: (0x[0-9a-f]+)")]
    private static partial Regex CacheLine();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
