using DuckDB.NET.Data;

namespace Keel.Server.Query;

/// <summary>
/// One column of an introspection table: its SQL name, its DuckDB type, and how a row's value is
/// appended. Build them with <see cref="Columns"/>, which pairs each type with the matching value.
/// </summary>
internal sealed record ColumnDefinition<TRow>(string Name, string SqlType, Action<IDuckDBAppenderRow, TRow> Append);

/// <summary>
/// The column kinds the tables use, mirroring Restate's types: text for its (Large)Utf8 columns,
/// unsigned integers for its UInt32/UInt64 ones, millisecond UTC timestamps, blobs for binary values.
/// </summary>
internal static class Columns
{
    public static ColumnDefinition<T> Text<T>(string name, Func<T, string?> value) =>
        new(name, "VARCHAR", (row, r) => row.AppendValue(value(r)));

    public static ColumnDefinition<T> UInt64<T>(string name, Func<T, ulong?> value) =>
        new(name, "UBIGINT", (row, r) => row.AppendValue(value(r)));

    public static ColumnDefinition<T> UInt32<T>(string name, Func<T, uint?> value) =>
        new(name, "UINTEGER", (row, r) => row.AppendValue(value(r)));

    public static ColumnDefinition<T> Boolean<T>(string name, Func<T, bool?> value) =>
        new(name, "BOOLEAN", (row, r) => row.AppendValue(value(r)));

    /// <summary>A UTC timestamp, cut to whole milliseconds as Restate stores them.</summary>
    public static ColumnDefinition<T> Timestamp<T>(string name, Func<T, DateTime?> value) =>
        new(name, "TIMESTAMP", (row, r) => row.AppendValue(ToUtcMilliseconds(value(r))));

    public static ColumnDefinition<T> Blob<T>(string name, Func<T, byte[]?> value) =>
        new(name, "BLOB", (row, r) => row.AppendValue(value(r)));

    public static ColumnDefinition<T> Interval<T>(string name, Func<T, TimeSpan?> value) =>
        new(name, "INTERVAL", (row, r) => row.AppendValue(value(r)));

    public static ColumnDefinition<T> TextList<T>(string name, Func<T, string[]?> value) =>
        new(name, "VARCHAR[]", (row, r) => row.AppendValue(value(r)));

    /// <summary>A column Keel has no value for (Restate fills it in setups Keel does not have); always null.</summary>
    public static ColumnDefinition<T> NullText<T>(string name) =>
        new(name, "VARCHAR", (row, _) => row.AppendNullValue());

    internal static DateTime? ToUtcMilliseconds(DateTime? value)
    {
        if (value is not { } time)
        {
            return null;
        }

        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
    }
}
