using System.Runtime.InteropServices;

namespace Keel.Server.Storage.RocksDb;

/// <summary>
/// RocksDB checkpoints (<c>keel-server backup</c>): a consistent copy of an open database in a new
/// directory, its table files hard-linked when on the same file system (so it costs little room until
/// the database compacts them away), its write-ahead log copied. Kept apart from
/// <see cref="RocksDbNative"/>: the same source-generated binding, for this one feature.
/// </summary>
internal static partial class RocksDbCheckpoint
{
    private const string Library = "rocksdb";

    /// <summary>Writes a checkpoint of <paramref name="db"/> into <paramref name="directory"/>, which must not exist yet.</summary>
    public static void Create(nint db, string directory)
    {
        nint error = 0;
        var checkpoint = rocksdb_checkpoint_object_create(db, ref error);
        RocksDbException.ThrowIfError(error);
        try
        {
            // 0: always flush the memtables first, so the checkpoint's table files hold everything
            // and nothing depends on replaying a copied log.
            rocksdb_checkpoint_create(checkpoint, directory, 0, ref error);
            RocksDbException.ThrowIfError(error);
        }
        finally
        {
            rocksdb_checkpoint_object_destroy(checkpoint);
        }
    }

    [LibraryImport(Library)]
    private static partial nint rocksdb_checkpoint_object_create(nint db, ref nint error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial void rocksdb_checkpoint_create(nint checkpoint, string directory, ulong logSizeForFlush, ref nint error);

    [LibraryImport(Library)]
    private static partial void rocksdb_checkpoint_object_destroy(nint checkpoint);
}
