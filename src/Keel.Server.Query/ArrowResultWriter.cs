using System.Data.Common;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Keel.Server.Query;

/// <summary>
/// Writes a result as an Arrow IPC stream: the schema, record batches of at most
/// <see cref="BatchRows"/> rows (or about <see cref="BatchBytes"/> bytes), then the end marker.
/// DuckDB types map to their Arrow equivalents (BIGINT → Int64, UBIGINT → UInt64, TIMESTAMP →
/// Timestamp(ms, "+00:00"), BLOB → Binary, …); the types Arrow clients of Restate do not expect
/// (HUGEINT, DECIMAL, dates, intervals, lists, structs) are sent as text.
/// </summary>
internal static class ArrowResultWriter
{
    public const int BatchRows = 8192;
    public const int BatchBytes = 4 * 1024 * 1024;

    private static readonly TimestampType Timestamp = new(TimeUnit.Millisecond, "+00:00");

    public static IArrowType ArrowType(ValueKind kind) => kind switch
    {
        ValueKind.Boolean => BooleanType.Default,
        ValueKind.Int8 => Int8Type.Default,
        ValueKind.Int16 => Int16Type.Default,
        ValueKind.Int32 => Int32Type.Default,
        ValueKind.Int64 => Int64Type.Default,
        ValueKind.UInt8 => UInt8Type.Default,
        ValueKind.UInt16 => UInt16Type.Default,
        ValueKind.UInt32 => UInt32Type.Default,
        ValueKind.UInt64 => UInt64Type.Default,
        ValueKind.Float => FloatType.Default,
        ValueKind.Double => DoubleType.Default,
        ValueKind.Binary => BinaryType.Default,
        ValueKind.Timestamp => Timestamp,
        _ => StringType.Default,
    };

    public static async Task WriteAsync(QueryResult result, Stream output, CancellationToken cancellationToken)
    {
        var columns = result.Columns;
        var schema = new Schema(columns.Select(c => new Field(c.Name, ArrowType(c.Kind), nullable: true)), null);
        var reader = result.Reader;
        using var writer = new ArrowStreamWriter(output, schema, leaveOpen: true);
        await writer.WriteStartAsync(cancellationToken).ConfigureAwait(false);
        var builders = columns.Select(ColumnBuilder.For).ToArray();
        var rows = 0;
        long bytes = 0;
        while (reader.Read())
        {
            for (var i = 0; i < builders.Length; i++)
            {
                bytes += reader.IsDBNull(i) ? builders[i].AppendNull() : builders[i].Append(reader, i);
            }

            if (++rows == BatchRows || bytes >= BatchBytes)
            {
                await WriteBatchAsync(writer, schema, builders, rows, cancellationToken).ConfigureAwait(false);
                builders = [.. columns.Select(ColumnBuilder.For)];
                (rows, bytes) = (0, 0);
            }
        }

        if (rows > 0)
        {
            await WriteBatchAsync(writer, schema, builders, rows, cancellationToken).ConfigureAwait(false);
        }

        await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteBatchAsync(ArrowStreamWriter writer, Schema schema, ColumnBuilder[] builders, int rows, CancellationToken cancellationToken)
    {
        using var batch = new RecordBatch(schema, builders.Select(b => b.Build()), rows);
        await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Collects one column's values of one batch; Append returns roughly how many bytes the value takes.</summary>
    private abstract class ColumnBuilder
    {
        public abstract int Append(DbDataReader reader, int ordinal);

        public abstract int AppendNull();

        public abstract IArrowArray Build();

        public static ColumnBuilder For(ResultColumn column) => column.Kind switch
        {
            ValueKind.Boolean => new Of<BooleanArray.Builder>(new(), (b, r, i) => b.Append(r.GetBoolean(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Int8 => new Of<Int8Array.Builder>(new(), (b, r, i) => b.Append(r.GetFieldValue<sbyte>(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Int16 => new Of<Int16Array.Builder>(new(), (b, r, i) => b.Append(r.GetInt16(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Int32 => new Of<Int32Array.Builder>(new(), (b, r, i) => b.Append(r.GetInt32(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Int64 => new Of<Int64Array.Builder>(new(), (b, r, i) => b.Append(r.GetInt64(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.UInt8 => new Of<UInt8Array.Builder>(new(), (b, r, i) => b.Append(r.GetByte(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.UInt16 => new Of<UInt16Array.Builder>(new(), (b, r, i) => b.Append(r.GetFieldValue<ushort>(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.UInt32 => new Of<UInt32Array.Builder>(new(), (b, r, i) => b.Append(r.GetFieldValue<uint>(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.UInt64 => new Of<UInt64Array.Builder>(new(), (b, r, i) => b.Append(r.GetFieldValue<ulong>(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Float => new Of<FloatArray.Builder>(new(), (b, r, i) => b.Append(r.GetFloat(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Double => new Of<DoubleArray.Builder>(new(), (b, r, i) => b.Append(r.GetDouble(i)), b => b.AppendNull(), b => b.Build()),
            ValueKind.Timestamp => new Of<TimestampArray.Builder>(new(Timestamp), (b, r, i) => b.Append(new DateTimeOffset(ResultValues.ReadUtc(r, i))), b => b.AppendNull(), b => b.Build()),
            ValueKind.Binary => new Sized<BinaryArray.Builder>(new(), (b, r, i) =>
            {
                var value = ResultValues.ReadBytes(r, i);
                b.Append(value.AsSpan());
                return value.Length;
            }, b => b.AppendNull(), b => b.Build()),
            ValueKind.Utf8 => new Sized<StringArray.Builder>(new(), (b, r, i) =>
            {
                var value = ResultValues.ReadText(r, i, column.Type);
                b.Append(value);
                return value.Length;
            }, b => b.AppendNull(), b => b.Build()),
            _ => new Sized<StringArray.Builder>(new(), (b, r, i) =>
            {
                var value = ResultValues.Text(ResultValues.ReadOther(r, i, column.Type));
                b.Append(value);
                return value.Length;
            }, b => b.AppendNull(), b => b.Build()),
        };

        /// <summary>A fixed-width column (8 bytes a value, near enough).</summary>
        private sealed class Of<TBuilder>(TBuilder builder, Action<TBuilder, DbDataReader, int> append, Action<TBuilder> appendNull, Func<TBuilder, IArrowArray> build)
            : ColumnBuilder
        {
            public override int Append(DbDataReader reader, int ordinal)
            {
                append(builder, reader, ordinal);
                return 8;
            }

            public override int AppendNull()
            {
                appendNull(builder);
                return 1;
            }

            public override IArrowArray Build() => build(builder);
        }

        /// <summary>A variable-width column: the append reports the value's size.</summary>
        private sealed class Sized<TBuilder>(TBuilder builder, Func<TBuilder, DbDataReader, int, int> append, Action<TBuilder> appendNull, Func<TBuilder, IArrowArray> build)
            : ColumnBuilder
        {
            public override int Append(DbDataReader reader, int ordinal) => append(builder, reader, ordinal) + 4;

            public override int AppendNull()
            {
                appendNull(builder);
                return 4;
            }

            public override IArrowArray Build() => build(builder);
        }
    }
}
