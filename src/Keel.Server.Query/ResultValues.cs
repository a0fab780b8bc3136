using System.Buffers;
using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DuckDB.NET.Native;

namespace Keel.Server.Query;

/// <summary>
/// Reading result values from DuckDB and spelling them the way Restate's JSON output does: timestamps
/// in RFC 3339 UTC with <c>Z</c> and 0, 3, 6 or 9 fraction digits, binary as lowercase hex, nested
/// values as JSON. Arrow output uses the same text for the types it carries as text.
/// </summary>
internal static class ResultValues
{
    public static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>A timestamp value as a UTC <see cref="DateTime"/> (DuckDB's TIMESTAMP has no zone; it holds UTC here).</summary>
    public static DateTime ReadUtc(DbDataReader reader, int ordinal)
    {
        var value = reader.GetFieldValue<DateTime>(ordinal);
        return value.Kind switch
        {
            DateTimeKind.Local => value.ToUniversalTime(),
            DateTimeKind.Unspecified => DateTime.SpecifyKind(value, DateTimeKind.Utc),
            _ => value,
        };
    }

    /// <summary>A BLOB value's bytes.</summary>
    public static byte[] ReadBytes(DbDataReader reader, int ordinal)
    {
        using var stream = reader.GetStream(ordinal);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A text value (VARCHAR, ENUM, UUID).</summary>
    public static string ReadText(DbDataReader reader, int ordinal, DuckDBType type) => type switch
    {
        DuckDBType.Varchar => reader.GetString(ordinal),
        DuckDBType.Uuid => reader.GetGuid(ordinal).ToString("D"),
        _ => Convert.ToString(reader.GetValue(ordinal), CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>A value of a type without a column kind of its own, as .NET gives it (intervals as DuckDB's own struct).</summary>
    public static object ReadOther(DbDataReader reader, int ordinal, DuckDBType type) =>
        type == DuckDBType.Interval ? reader.GetProviderSpecificValue(ordinal) : reader.GetValue(ordinal);

    /// <summary>RFC 3339 in UTC as arrow-rs prints it: no fraction, or 3, 6 or 9 digits, whichever is exact.</summary>
    public static string Rfc3339(DateTime utc)
    {
        Span<byte> buffer = stackalloc byte[40];
        return Encoding.ASCII.GetString(buffer[..WriteRfc3339(utc, buffer)]);
    }

    /// <summary>Writes <see cref="Rfc3339(DateTime)"/> as ASCII into <paramref name="destination"/> (at least 30 bytes); returns the length.</summary>
    public static int WriteRfc3339(DateTime utc, Span<byte> destination)
    {
        utc.TryFormat(destination, out var written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        var ticks = utc.Ticks % TimeSpan.TicksPerSecond;
        if (ticks != 0)
        {
            var (value, digits) = (ticks % TimeSpan.TicksPerMillisecond == 0) ? (ticks / TimeSpan.TicksPerMillisecond, 3)
                : (ticks % 10 == 0) ? (ticks / 10, 6)
                : (ticks * 100, 9);
            destination[written++] = (byte)'.';
            value.TryFormat(destination[written..], out var fraction, "D" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            written += fraction;
        }

        destination[written++] = (byte)'Z';
        return written;
    }

    /// <summary>Lowercase hex, two digits a byte.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>DuckDB's own spelling of an interval, e.g. <c>1 month 2 days 03:04:05.5</c>.</summary>
    public static string IntervalText(int months, int days, long micros)
    {
        var text = new StringBuilder();
        void Part(long count, string unit)
        {
            if (count != 0)
            {
                text.Append(text.Length == 0 ? "" : " ").Append(count.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(unit).Append(Math.Abs(count) == 1 ? "" : "s");
            }
        }

        Part(months / 12, "year");
        Part(months % 12, "month");
        Part(days, "day");
        if (micros != 0 || text.Length == 0)
        {
            var time = TimeSpan.FromMicroseconds(Math.Abs(micros));
            text.Append(text.Length == 0 ? "" : " ").Append(micros < 0 ? "-" : "")
                .Append(((long)time.TotalHours).ToString("D2", CultureInfo.InvariantCulture))
                .Append(time.ToString(@"\:mm\:ss", CultureInfo.InvariantCulture));
            if (Math.Abs(micros) % 1_000_000 is var fraction and not 0)
            {
                text.Append('.').Append(fraction.ToString("D6", CultureInfo.InvariantCulture).TrimEnd('0'));
            }
        }

        return text.ToString();
    }

    /// <summary>Writes any value DuckDB.NET returns as JSON (nested lists, structs and maps included).</summary>
    public static void WriteJson(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null or DBNull:
                json.WriteNullValue();
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case sbyte or short or int or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                json.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            case float or double:
                var d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsFinite(d))
                {
                    json.WriteNumberValue(d);
                }
                else
                {
                    json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }

                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case BigInteger big:
                json.WriteRawValue(big.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                break;
            case byte[] bytes:
                json.WriteStringValue(Hex(bytes));
                break;
            case Stream stream:
                using (stream)
                {
                    var bytes = new byte[stream.Length];
                    stream.ReadExactly(bytes);
                    json.WriteStringValue(Hex(bytes));
                }

                break;
            case IDictionary map:
                json.WriteStartObject();
                foreach (DictionaryEntry entry in map)
                {
                    json.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    WriteJson(json, entry.Value);
                }

                json.WriteEndObject();
                break;
            case IEnumerable items:
                json.WriteStartArray();
                foreach (var item in items)
                {
                    WriteJson(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteStringValue(Text(value));
                break;
        }
    }

    /// <summary>Any value as one line of text: scalars in their usual spelling, nested values as JSON.</summary>
    public static string Text(object value) => value switch
    {
        string s => s,
        DateTime t => Rfc3339(t.Kind == DateTimeKind.Local ? t.ToUniversalTime() : t),
        DateTimeOffset t => Rfc3339(t.UtcDateTime),
        DateOnly date => date.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH':'mm':'ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        DuckDBInterval i => IntervalText(i.Months, i.Days, unchecked((long)i.Micros)),
        TimeSpan span => IntervalText(0, span.Days, (span - TimeSpan.FromDays(span.Days)).Ticks / 10),
        Guid g => g.ToString("D"),
        IFormattable f and not (IEnumerable or IDictionary) => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable or IDictionary or byte[] or Stream => JsonText(value),
        _ => value.ToString() ?? "",
    };

    private static string JsonText(object value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            WriteJson(json, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
