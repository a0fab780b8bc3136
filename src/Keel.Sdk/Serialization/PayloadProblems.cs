using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Keel.Protocol.Payloads;

namespace Keel.Sdk;

/// <summary>
/// Says why a payload could not be read, in JSON terms ("malformed JSON at line 1, position 7: …",
/// "expected a JSON number, got a string at $.amount"): the caller wrote JSON, maybe from another
/// language, so System.Text.Json's wording with CLR type names ("could not be converted to
/// System.Int32") says nothing to them.
/// </summary>
internal static class PayloadProblems
{
    /// <summary>Describes <paramref name="error"/>, thrown while reading <paramref name="payload"/> as <paramref name="type"/>.</summary>
    public static string Describe(JsonException error, ReadOnlySpan<byte> payload, Type type, JsonSerializerOptions options)
    {
        // The serializer reports syntax errors and type mismatches alike; a syntax check tells them apart.
        if (JsonSyntax.Problem(payload) is { } malformed)
        {
            return malformed;
        }

        var path = error.Path ?? "$";
        var at = path == "$" ? string.Empty : $" at {path}";
        if (MissingProperties(error.Message) is { } missing)
        {
            return $"missing required JSON properties{at}: {missing}.";
        }

        var segments = PathSegments(path);
        var expected = ExpectedAt(type, segments, options);
        var actual = ActualAt(payload, segments, options.PropertyNameCaseInsensitive);
        return (expected, actual) switch
        {
            (not null, not null) when expected != actual => $"expected {Expected(expected)}, got {Got(actual)}{at}.",
            (_, not null) => $"the JSON {actual}{at} is out of range or in the wrong format.",
            _ => $"the JSON value{at} does not fit the expected shape.",
        };
    }

    /// <summary>What JSON a value of <paramref name="type"/> is written as: "object", "array", "string", "number", "boolean"; null when any.</summary>
    public static string? KindOf(Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var info = TypeInfo(type, options);
        switch (info?.Kind)
        {
            case JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary:
                return "object";
            case JsonTypeInfoKind.Enumerable:
                return "array";
        }

        if (type == typeof(bool))
        {
            return "boolean";
        }

        if (type.IsEnum)
        {
            // Enums are names by default (JsonStringEnumConverter); numbers only where that converter was removed.
            return options.Converters.Any(c => c.CanConvert(type)) ? "string" : "number";
        }

        return Type.GetTypeCode(type) switch
        {
            TypeCode.Byte or TypeCode.SByte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32
                or TypeCode.Int64 or TypeCode.UInt64 or TypeCode.Single or TypeCode.Double or TypeCode.Decimal => "number",
            TypeCode.String or TypeCode.Char or TypeCode.DateTime => "string",
            _ when type == typeof(Int128) || type == typeof(UInt128) || type == typeof(Half) => "number",
            _ when type == typeof(Guid) || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(DateOnly)
                || type == typeof(TimeOnly) || type == typeof(Uri) || type == typeof(Version) => "string",
            _ => null,
        };
    }

    /// <summary>What a value of that kind is called where it is expected: "a JSON number".</summary>
    public static string Expected(string kind) => $"a JSON {kind}";

    /// <summary>What a value of that kind is called where it was found: "a string", "an object", "null".</summary>
    private static string Got(string kind) => kind switch
    {
        "null" => "null",
        "object" or "array" => $"an {kind}",
        _ => $"a {kind}",
    };

    private static JsonTypeInfo? TypeInfo(Type type, JsonSerializerOptions options)
    {
        try
        {
            return options.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The declared type at <paramref name="segments"/>, following properties, elements and dictionary values.</summary>
    private static string? ExpectedAt(Type type, IReadOnlyList<object> segments, JsonSerializerOptions options)
    {
        foreach (var segment in segments)
        {
            var info = TypeInfo(Nullable.GetUnderlyingType(type) ?? type, options);
            Type? next = (info?.Kind, segment) switch
            {
                (JsonTypeInfoKind.Object, string name) => info!.Properties.FirstOrDefault(p => string.Equals(p.Name, name,
                    options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))?.PropertyType,
                (JsonTypeInfoKind.Dictionary, string) or (JsonTypeInfoKind.Enumerable, int) => info!.ElementType,
                _ => null,
            };
            if (next is null)
            {
                return null;
            }

            type = next;
        }

        return KindOf(type, options);
    }

    /// <summary>The kind of JSON the payload has at <paramref name="segments"/> (the payload is well-formed by now).</summary>
    private static string? ActualAt(ReadOnlySpan<byte> payload, IReadOnlyList<object> segments, bool caseInsensitive)
    {
        var reader = new Utf8JsonReader(payload);
        using var document = JsonDocument.ParseValue(ref reader);
        var element = document.RootElement;
        foreach (var segment in segments)
        {
            JsonElement? next = (element.ValueKind, segment) switch
            {
                (JsonValueKind.Object, string name) => element.EnumerateObject()
                    .Where(p => string.Equals(p.Name, name, caseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                    .Select(p => (JsonElement?)p.Value).FirstOrDefault(),
                (JsonValueKind.Array, int index) when index < element.GetArrayLength() => element[index],
                _ => null,
            };
            if (next is not { } found)
            {
                return null;
            }

            element = found;
        }

        return element.ValueKind switch
        {
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Null => "null",
            _ => null,
        };
    }

    /// <summary>"$.order.items[2]['odd name']" as ["order", "items", 2, "odd name"].</summary>
    internal static IReadOnlyList<object> PathSegments(string path)
    {
        var segments = new List<object>();
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 2)..end]);
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                segments.Add(int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index) ? index : -1);
                i = end + 1;
            }
            else
            {
                break;
            }
        }

        return segments;
    }

    /// <summary>The property names of System.Text.Json's "missing required properties, including the following: a, b" message.</summary>
    private static string? MissingProperties(string message)
    {
        const string marker = "including the following: ";
        var start = message.IndexOf(marker, StringComparison.Ordinal);
        if (!message.Contains("missing required properties", StringComparison.Ordinal) || start < 0)
        {
            return null;
        }

        var names = message[(start + marker.Length)..];
        var cut = names.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut >= 0 ? names[..cut] : names).TrimEnd('.', ' ');
    }
}
