using System.IO.Pipelines;
using System.Text.Json;

namespace Keel.Server.Query;

/// <summary>
/// Writes a result as Restate's JSON output: <c>{"rows":[{…},…]}</c>, one object per row, null columns
/// left out, numbers as numbers, binary as hex, timestamps in RFC 3339 UTC. Rows are streamed.
/// </summary>
internal static class JsonResultWriter
{
    private const int FlushThreshold = 64 * 1024;

    public static async Task WriteAsync(QueryResult result, PipeWriter output, CancellationToken cancellationToken)
    {
        var columns = result.Columns;
        var names = columns.Select(c => JsonEncodedText.Encode(c.Name, ResultValues.JsonOptions.Encoder)).ToArray();
        var reader = result.Reader;
        using var json = new Utf8JsonWriter(output, ResultValues.JsonOptions);
        json.WriteStartObject();
        json.WritePropertyName("rows"u8);
        json.WriteStartArray();
        var time = new byte[40];
        while (reader.Read())
        {
            json.WriteStartObject();
            for (var i = 0; i < columns.Count; i++)
            {
                if (reader.IsDBNull(i))
                {
                    continue;
                }

                json.WritePropertyName(names[i]);
                var column = columns[i];
                switch (column.Kind)
                {
                    case ValueKind.Boolean: json.WriteBooleanValue(reader.GetBoolean(i)); break;
                    case ValueKind.Int8: json.WriteNumberValue(reader.GetFieldValue<sbyte>(i)); break;
                    case ValueKind.Int16: json.WriteNumberValue(reader.GetInt16(i)); break;
                    case ValueKind.Int32: json.WriteNumberValue(reader.GetInt32(i)); break;
                    case ValueKind.Int64: json.WriteNumberValue(reader.GetInt64(i)); break;
                    case ValueKind.UInt8: json.WriteNumberValue(reader.GetByte(i)); break;
                    case ValueKind.UInt16: json.WriteNumberValue(reader.GetFieldValue<ushort>(i)); break;
                    case ValueKind.UInt32: json.WriteNumberValue(reader.GetFieldValue<uint>(i)); break;
                    case ValueKind.UInt64: json.WriteNumberValue(reader.GetFieldValue<ulong>(i)); break;
                    case ValueKind.Utf8: json.WriteStringValue(ResultValues.ReadText(reader, i, column.Type)); break;
                    case ValueKind.Binary: json.WriteStringValue(ResultValues.Hex(ResultValues.ReadBytes(reader, i))); break;
                    case ValueKind.Timestamp: json.WriteStringValue(time.AsSpan(0, ResultValues.WriteRfc3339(ResultValues.ReadUtc(reader, i), time))); break;
                    case ValueKind.Float: ResultValues.WriteJson(json, reader.GetFloat(i)); break;
                    case ValueKind.Double: ResultValues.WriteJson(json, reader.GetDouble(i)); break;
                    default: ResultValues.WriteJson(json, ResultValues.ReadOther(reader, i, column.Type)); break;
                }
            }

            json.WriteEndObject();
            if (json.BytesPending > FlushThreshold)
            {
                json.Flush();
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
