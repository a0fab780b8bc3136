using static Keel.Server.Storage.RocksDb.RocksDbNative;

namespace Keel.Server.Storage.RocksDb;

/// <summary>
/// The table options every column family opens with: block-based tables with a whole-key bloom
/// filter, one LRU block cache shared by all tables and sized by the server
/// (<c>--rocksdb-block-cache</c>), and index and filter blocks kept in that cache.
/// </summary>
/// <remarks>
/// Whole keys, not prefixes, because the runtime's point reads are whole keys (a status by
/// invocation id, an idempotency key, an object's lock, a state entry, a promise) and many of those
/// on a busy server are misses: every new invocation looks up its status, and every call with an
/// idempotency key looks that key up first. A filter answers a miss without reading a data block
/// from each table file. Every key does start with an 8-byte partition key, but a filter on that
/// prefix would say "maybe" for almost everything: the per-partition tables (timers, outbox,
/// retention, active) share one prefix per partition, and scans use longer prefixes of varying
/// length (an object, an invocation's journal), so a fixed prefix extractor fits none of them.
/// Index and filter blocks live in the block cache so the memory RocksDB holds for reads stays
/// within the setting as the data grows (by default it keeps them on the heap per table file,
/// without bound); level 0's are pinned and all are cached at high priority so the busiest ones
/// are not evicted by data blocks.
/// </remarks>
internal static class RocksDbTableOptions
{
    /// <summary>About 1 % false positives at 10 bits per key.</summary>
    public const double BloomBitsPerKey = 10;

    /// <summary>Sets the block-based table factory of <paramref name="familyOptions"/>; the native objects made here are released before returning.</summary>
    public static void Apply(nint familyOptions, long blockCacheBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockCacheBytes);
        var table = rocksdb_block_based_options_create();
        var cache = rocksdb_cache_create_lru(checked((nuint)blockCacheBytes));
        try
        {
            rocksdb_block_based_options_set_block_cache(table, cache);
            rocksdb_block_based_options_set_filter_policy(table, rocksdb_filterpolicy_create_bloom_full(BloomBitsPerKey));
            rocksdb_block_based_options_set_whole_key_filtering(table, 1);
            rocksdb_block_based_options_set_cache_index_and_filter_blocks(table, 1);
            rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(table, 1);
            rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(table, 1);
            rocksdb_options_set_block_based_table_factory(familyOptions, table);
        }
        finally
        {
            // The factory holds its own copy of the table options and a share of the cache (and the
            // filter policy, owned by the table options until now): these handles are no longer needed.
            rocksdb_cache_destroy(cache);
            rocksdb_block_based_options_destroy(table);
        }
    }
}
