using System.Runtime.InteropServices;

namespace Keel.Server.Storage.RocksDb;

/// <summary>
/// The block-based table options of the C API (<see cref="RocksDbTableOptions"/> uses them). Kept in
/// a part of their own so the binding's main file stays a plain list of the store's calls.
/// Ownership: the table options copy the cache's shared pointer and take over the filter policy;
/// the column family options copy the table options into their table factory. So the caller
/// destroys the table options and the cache handle after use, and never the filter policy.
/// </summary>
internal static partial class RocksDbNative
{
    [LibraryImport(Library)]
    public static partial nint rocksdb_block_based_options_create();

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_destroy(nint options);

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_block_cache(nint options, nint cache);

    /// <summary>Takes ownership of <paramref name="policy"/>: it is freed with the options (do not destroy it).</summary>
    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_filter_policy(nint options, nint policy);

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_whole_key_filtering(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_cache_index_and_filter_blocks(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(nint options, byte value);

    [LibraryImport(Library)]
    public static partial nint rocksdb_filterpolicy_create_bloom_full(double bitsPerKey);

    [LibraryImport(Library)]
    public static partial nint rocksdb_cache_create_lru(nuint capacity);

    [LibraryImport(Library)]
    public static partial void rocksdb_cache_destroy(nint cache);

    /// <summary>Copies the table options into a new table factory of <paramref name="options"/>.</summary>
    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_block_based_table_factory(nint options, nint tableOptions);
}
