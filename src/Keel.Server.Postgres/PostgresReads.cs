using Keel.Server.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Keel.Server.Postgres;

/// <summary>Point reads and range scans on one connection (pooled, or a snapshot's own).</summary>
internal static class PostgresReads
{
    /// <summary>Rows fetched per query of a scan: scans stay lazy without holding a cursor open between yields.</summary>
    public const int ChunkRows = 256;

    public static byte[]? Get(NpgsqlConnection connection, NpgsqlTransaction? transaction, Table table, ReadOnlySpan<byte> key)
    {
        using var command = new NpgsqlCommand("SELECT value FROM keel_kv WHERE tbl = $1 AND key = $2", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)table, NpgsqlDbType = NpgsqlDbType.Smallint });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = key.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>
    /// One chunk of a range scan: keys ≥ <paramref name="from"/> (or &gt; it when <paramref name="exclusive"/>)
    /// and &lt; <paramref name="to"/>, in key order. bytea compares byte by byte, the order RocksDB keeps.
    /// </summary>
    public static List<KeyValuePair<byte[], byte[]>> ScanChunk(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, Table table, byte[] from, bool exclusive, byte[]? to)
    {
        var lower = exclusive ? "key > $2" : "key >= $2";
        var upper = to is null ? string.Empty : " AND key < $3";
        var sql = $"SELECT key, value FROM keel_kv WHERE tbl = $1 AND {lower}{upper} ORDER BY key LIMIT {ChunkRows}";
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)table, NpgsqlDbType = NpgsqlDbType.Smallint });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = from, NpgsqlDbType = NpgsqlDbType.Bytea });
        if (to is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = to, NpgsqlDbType = NpgsqlDbType.Bytea });
        }

        var rows = new List<KeyValuePair<byte[], byte[]>>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(KeyValuePair.Create(reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1)));
        }

        return rows;
    }

    /// <summary>A whole range scan as a lazy sequence of chunks; <paramref name="read"/> runs one chunk query.</summary>
    public static IEnumerable<KeyValuePair<byte[], byte[]>> Scan(
        Func<byte[], bool, List<KeyValuePair<byte[], byte[]>>> read, byte[] from, bool exclusive = false)
    {
        var next = from;
        while (true)
        {
            var chunk = read(next, exclusive);
            foreach (var row in chunk)
            {
                yield return row;
            }

            if (chunk.Count < ChunkRows)
            {
                yield break;
            }

            next = chunk[^1].Key;
            exclusive = true;
        }
    }
}
