using System.Runtime.InteropServices;

namespace Keel.Server.Storage.RocksDb;

/// <summary>
/// The few functions of RocksDB's C API the store uses, bound at compile time (source-generated
/// P/Invoke) to the native library the RocksDB NuGet package ships. A general-purpose binding that
/// builds its bindings at run time cost about a third of a second of every server start; these cost
/// nothing until called. Handles are plain pointers; errors come back as a malloc'd message in the
/// last argument (<see cref="RocksDbException.ThrowIfError"/>). That argument is passed by reference
/// and must be zero on entry: RocksDB only writes it on failure, and frees what it finds there first.
/// </summary>
internal static partial class RocksDbNative
{
    private const string Library = "rocksdb";

    [LibraryImport(Library)]
    public static partial nint rocksdb_options_create();

    [LibraryImport(Library)]
    public static partial void rocksdb_options_destroy(nint options);

    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_create_if_missing(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_create_missing_column_families(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_max_total_wal_size(nint options, ulong bytes);

    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_skip_stats_update_on_db_open(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_options_set_avoid_flush_during_recovery(nint options, byte value);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint rocksdb_open_column_families(nint options, string name, int count, nint[] names, nint[] familyOptions, [Out] nint[] handles, ref nint error);

    [LibraryImport(Library)]
    public static partial void rocksdb_column_family_handle_destroy(nint family);

    [LibraryImport(Library)]
    public static partial void rocksdb_close(nint db);

    [LibraryImport(Library)]
    public static partial nint rocksdb_writeoptions_create();

    [LibraryImport(Library)]
    public static partial void rocksdb_writeoptions_destroy(nint options);

    [LibraryImport(Library)]
    public static partial void rocksdb_writeoptions_set_sync(nint options, byte value);

    [LibraryImport(Library)]
    public static partial void rocksdb_flush_wal(nint db, byte sync, ref nint error);

    [LibraryImport(Library)]
    public static partial nint rocksdb_readoptions_create();

    [LibraryImport(Library)]
    public static partial void rocksdb_readoptions_destroy(nint options);

    [LibraryImport(Library)]
    public static partial void rocksdb_readoptions_set_snapshot(nint options, nint snapshot);

    /// <summary>RocksDB keeps the pointer, not a copy: the bound's memory must outlive every iterator made with these options.</summary>
    [LibraryImport(Library)]
    public static partial void rocksdb_readoptions_set_iterate_upper_bound(nint options, nint key, nuint length);

    [LibraryImport(Library)]
    public static partial nint rocksdb_get_cf(nint db, nint options, nint family, ReadOnlySpan<byte> key, nuint keyLength, out nuint valueLength, ref nint error);

    [LibraryImport(Library)]
    public static partial nint rocksdb_writebatch_create();

    [LibraryImport(Library)]
    public static partial void rocksdb_writebatch_destroy(nint batch);

    [LibraryImport(Library)]
    public static partial void rocksdb_writebatch_put_cf(nint batch, nint family, ReadOnlySpan<byte> key, nuint keyLength, ReadOnlySpan<byte> value, nuint valueLength);

    [LibraryImport(Library)]
    public static partial void rocksdb_writebatch_delete_cf(nint batch, nint family, ReadOnlySpan<byte> key, nuint keyLength);

    [LibraryImport(Library)]
    public static partial void rocksdb_write(nint db, nint options, nint batch, ref nint error);

    [LibraryImport(Library)]
    public static partial nint rocksdb_create_iterator_cf(nint db, nint options, nint family);

    [LibraryImport(Library)]
    public static partial void rocksdb_iter_destroy(nint iterator);

    [LibraryImport(Library)]
    public static partial byte rocksdb_iter_valid(nint iterator);

    [LibraryImport(Library)]
    public static partial void rocksdb_iter_seek(nint iterator, ReadOnlySpan<byte> key, nuint keyLength);

    [LibraryImport(Library)]
    public static partial void rocksdb_iter_next(nint iterator);

    /// <summary>The current key, valid until the iterator moves.</summary>
    [LibraryImport(Library)]
    public static partial nint rocksdb_iter_key(nint iterator, out nuint length);

    /// <summary>The current value, valid until the iterator moves.</summary>
    [LibraryImport(Library)]
    public static partial nint rocksdb_iter_value(nint iterator, out nuint length);

    [LibraryImport(Library)]
    public static partial void rocksdb_iter_get_error(nint iterator, ref nint error);

    [LibraryImport(Library)]
    public static partial nint rocksdb_create_snapshot(nint db);

    [LibraryImport(Library)]
    public static partial void rocksdb_release_snapshot(nint db, nint snapshot);

    [LibraryImport(Library)]
    public static partial void rocksdb_free(nint memory);

    /// <summary>Copies <paramref name="length"/> bytes of native memory into a new array.</summary>
    public static byte[] Copy(nint data, nuint length)
    {
        var bytes = new byte[checked((int)length)];
        if (bytes.Length > 0)
        {
            Marshal.Copy(data, bytes, 0, bytes.Length);
        }

        return bytes;
    }
}
