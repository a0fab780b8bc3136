using DuckDB.NET.Native;

namespace Keel.Server.Query;

/// <summary>How a result column's values are read and written, whatever the output format.</summary>
internal enum ValueKind
{
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float,
    Double,

    /// <summary>Text: VARCHAR, ENUM and UUID.</summary>
    Utf8,

    /// <summary>BLOB: hex in JSON, Binary in Arrow.</summary>
    Binary,

    /// <summary>Every TIMESTAMP flavour, as a UTC instant.</summary>
    Timestamp,

    /// <summary>HUGEINT/UHUGEINT (e.g. DuckDB's SUM of integers): a JSON number, text in Arrow.</summary>
    BigInteger,

    /// <summary>DECIMAL: a JSON number, text in Arrow.</summary>
    Decimal,

    /// <summary>Anything else (dates, times, intervals, lists, structs, maps): JSON values, text in Arrow.</summary>
    Other,
}

/// <summary>One column of a query's result: its name, DuckDB type and how it is written.</summary>
internal sealed record ResultColumn(string Name, DuckDBType Type, ValueKind Kind)
{
    public static ValueKind KindOf(DuckDBType type) => type switch
    {
        DuckDBType.Boolean => ValueKind.Boolean,
        DuckDBType.TinyInt => ValueKind.Int8,
        DuckDBType.SmallInt => ValueKind.Int16,
        DuckDBType.Integer => ValueKind.Int32,
        DuckDBType.BigInt => ValueKind.Int64,
        DuckDBType.UnsignedTinyInt => ValueKind.UInt8,
        DuckDBType.UnsignedSmallInt => ValueKind.UInt16,
        DuckDBType.UnsignedInteger => ValueKind.UInt32,
        DuckDBType.UnsignedBigInt => ValueKind.UInt64,
        DuckDBType.Float => ValueKind.Float,
        DuckDBType.Double => ValueKind.Double,
        DuckDBType.Varchar or DuckDBType.Enum or DuckDBType.Uuid => ValueKind.Utf8,
        DuckDBType.Blob => ValueKind.Binary,
        DuckDBType.Timestamp or DuckDBType.TimestampS or DuckDBType.TimestampMs or DuckDBType.TimestampNs or DuckDBType.TimestampTz => ValueKind.Timestamp,
        DuckDBType.HugeInt or DuckDBType.UnsignedHugeInt => ValueKind.BigInteger,
        DuckDBType.Decimal => ValueKind.Decimal,
        _ => ValueKind.Other,
    };
}
