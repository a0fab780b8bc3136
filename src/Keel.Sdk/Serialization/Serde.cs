using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Keel.Sdk;

/// <summary>Payload content types: JSON for everything except <c>byte[]</c>, which passes through untouched.</summary>
public static class Serde
{
    /// <summary>The content type of every payload but <c>byte[]</c>.</summary>
    public const string JsonContentType = "application/json";
    /// <summary>The content type of a <c>byte[]</c> payload, passed through as is.</summary>
    public const string RawContentType = "application/octet-stream";

    /// <summary>True for <c>byte[]</c>: such a payload is not JSON-encoded.</summary>
    public static bool IsRaw(Type type) => type == typeof(byte[]);

    /// <summary>The content type a payload of this type is sent with.</summary>
    public static string ContentTypeFor(Type type) => IsRaw(type) ? RawContentType : JsonContentType;
}

/// <summary>
/// Turns values into payload bytes and back with one endpoint's <see cref="KeelJsonOptions"/>. Types are
/// resolved through <see cref="JsonSerializerOptions.GetTypeInfo(Type)"/>, so a source-generated
/// <c>JsonSerializerContext</c> serves them without reflection.
/// </summary>
internal sealed class JsonSerde
{
    public static JsonSerde Default { get; } = new(new KeelJsonOptions());

    private readonly JsonSerializerOptions _options;

    public JsonSerde(KeelJsonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Freeze();
    }

    private JsonTypeInfo InfoOf(Type type)
    {
        try
        {
            return _options.GetTypeInfo(type);
        }
        catch (NotSupportedException e)
        {
            throw new InvalidOperationException(
                $"No JSON metadata for {type}: add it to your JsonSerializerContext ([JsonSerializable(typeof({type.Name}))]) " +
                "or keep reflection-based serialization enabled.", e);
        }
    }

    public byte[] Serialize(object? value, Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (Serde.IsRaw(type))
        {
            return (byte[]?)value ?? [];
        }

        return value is null && type == typeof(void) ? [] : JsonSerializer.SerializeToUtf8Bytes(value, InfoOf(type));
    }

    public byte[] Serialize<T>(T value) => Serialize(value, typeof(T));

    /// <summary>
    /// Empty bytes deserialize to the type's default (void inputs, absent values). <paramref name="subject"/>
    /// says what the bytes are, for the message of the 400 when they do not fit: "the input 'n' of Counter/add".
    /// </summary>
    public object? Deserialize(ReadOnlyMemory<byte> bytes, Type type, string subject = "the payload")
    {
        ArgumentNullException.ThrowIfNull(type);
        if (Serde.IsRaw(type))
        {
            return bytes.ToArray();
        }

        if (bytes.IsEmpty)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes.Span, InfoOf(type));
        }
        catch (JsonException e)
        {
            throw new TerminalException($"Cannot read {subject}: {PayloadProblems.Describe(e, bytes.Span, type, _options)}", 400);
        }
    }

    /// <summary>What JSON a value of <paramref name="type"/> is written as ("number", "object"…), null when any.</summary>
    public string? KindOf(Type type) => PayloadProblems.KindOf(type, _options);

    public T Deserialize<T>(ReadOnlyMemory<byte> bytes) => (T)Deserialize(bytes, typeof(T))!;
}
