using System.Text.Json;

namespace Keel.Sdk;

/// <summary>
/// Turns values into payload bytes and back. JSON (System.Text.Json, web defaults: camelCase) for
/// everything except <c>byte[]</c>, which passes through untouched.
/// </summary>
public static class Serde
{
    public const string JsonContentType = "application/json";
    public const string RawContentType = "application/octet-stream";

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);

    public static bool IsRaw(Type type) => type == typeof(byte[]);

    public static string ContentTypeFor(Type type) => IsRaw(type) ? RawContentType : JsonContentType;

    public static byte[] Serialize(object? value, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (IsRaw(type))
        {
            return (byte[]?)value ?? [];
        }

        return value is null && type == typeof(void) ? [] : JsonSerializer.SerializeToUtf8Bytes(value, type, JsonOptions);
    }

    public static byte[] Serialize<T>(T value) => Serialize(value, typeof(T));

    /// <summary>Empty bytes deserialize to the type's default (void inputs, absent values).</summary>
    public static object? Deserialize(ReadOnlyMemory<byte> bytes, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (IsRaw(type))
        {
            return bytes.ToArray();
        }

        if (bytes.IsEmpty)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes.Span, type, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new TerminalException($"Cannot deserialize the payload as {type.Name}: {e.Message}", 400);
        }
    }

    public static T Deserialize<T>(ReadOnlyMemory<byte> bytes) => (T)Deserialize(bytes, typeof(T))!;
}
