using System.Runtime.InteropServices;

namespace Keel.Server.Storage.RocksDb;

/// <summary>RocksDB refused an operation (corruption, I/O error, a database locked by another process…); the message is RocksDB's.</summary>
public sealed class RocksDbException : IOException
{
    public RocksDbException()
    {
    }

    public RocksDbException(string message) : base(message)
    {
    }

    public RocksDbException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Throws when a C API call returned an error message (and frees it).</summary>
    internal static void ThrowIfError(nint error)
    {
        if (error == 0)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8(error) ?? "unknown RocksDB error";
        RocksDbNative.rocksdb_free(error);
        throw new RocksDbException(message);
    }
}
