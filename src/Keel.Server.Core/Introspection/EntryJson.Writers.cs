using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Storage;
using ProtoFailure = Keel.Protocol.Messages.Failure;

namespace Keel.Server.Introspection;

/// <summary>The small pieces every entry is written with: ids, bytes, results, failures, headers, durations, trace context.</summary>
public static partial class EntryJson
{
    // ---- pieces ------------------------------------------------------------------------------

    /// <summary>Restate's variant name: the message type's name less its suffix (<c>SleepCommand</c> → <c>Sleep</c>).</summary>
    private static string KindName(MessageType type, string suffix)
    {
        var name = type.ToString();
        return name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : name;
    }

    /// <summary>State keys are bytes on the wire but text in Restate's entries: keys that are not UTF-8 have no JSON.</summary>
    private static string StateKey(ByteString key) => StrictUtf8.GetString(key.Span);

    private static bool WriteStateKeys(Utf8JsonWriter json, string property, StateKeys keys)
    {
        var texts = keys.Keys.Select(StateKey).ToList();
        json.WriteStartArray(property);
        foreach (var key in texts)
        {
            json.WriteStringValue(key);
        }

        json.WriteEndArray();
        return true;
    }

    private static bool WriteInvocationId(Utf8JsonWriter json, string property, string text)
    {
        if (!InvocationId.TryParse(text, out var id))
        {
            return false;
        }

        json.WriteString(property, id.ToString());
        return true;
    }

    /// <summary>A success-or-failure result followed by the entry's name (Output, CompleteAwakeable).</summary>
    private static void WriteOutcome(Utf8JsonWriter json, string property, Value? value, ProtoFailure? failure, string name)
    {
        json.WritePropertyName(property);
        if (failure is not null)
        {
            WriteFailureVariant(json, failure);
        }
        else
        {
            WriteSuccess(json, value ?? new Value());
        }

        json.WriteString("name", name);
    }

    private static void WriteSuccess(Utf8JsonWriter json, Value value)
    {
        json.WriteStartObject();
        WriteBytes(json, "Success", value.Content);
        json.WriteEndObject();
    }

    private static void WriteFailureVariant(Utf8JsonWriter json, ProtoFailure failure)
    {
        json.WriteStartObject();
        json.WriteStartObject("Failure");
        // Restate's error codes are 16-bit; a wider one reads as 500 (internal).
        json.WriteNumber("code", failure.Code <= ushort.MaxValue ? failure.Code : 500u);
        json.WriteString("message", failure.Message);
        if (failure.Metadata.Count > 0)
        {
            json.WriteStartArray("metadata");
            foreach (var entry in failure.Metadata)
            {
                json.WriteStartObject();
                json.WriteString("key", entry.Key);
                json.WriteString("value", entry.Value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSignalIndex(Utf8JsonWriter json, uint index)
    {
        json.WriteStartObject();
        json.WriteNumber("Index", index);
        json.WriteEndObject();
    }

    private static void WriteSignalName(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject();
        json.WriteString("Name", name);
        json.WriteEndObject();
    }

    private static void WriteHeaders(Utf8JsonWriter json, RepeatedField<Header> headers)
    {
        json.WriteStartArray("headers");
        foreach (var header in headers)
        {
            json.WriteStartObject();
            json.WriteString("name", header.Key);
            json.WriteString("value", header.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>Bytes as Restate's serde writes them: an array of numbers.</summary>
    private static void WriteBytes(Utf8JsonWriter json, string property, ByteString bytes)
    {
        json.WriteStartArray(property);
        foreach (var b in bytes.Span)
        {
            json.WriteNumberValue(b);
        }

        json.WriteEndArray();
    }

    private static void WriteOptionalString(Utf8JsonWriter json, string property, string? value)
    {
        if (value is null)
        {
            json.WriteNull(property);
        }
        else
        {
            json.WriteString(property, value);
        }
    }

    private static void WriteDuration(Utf8JsonWriter json, string property, TimeSpan duration)
    {
        var ticks = Math.Max(0, duration.Ticks);
        json.WriteStartObject(property);
        json.WriteNumber("secs", ticks / TimeSpan.TicksPerSecond);
        json.WriteNumber("nanos", ticks % TimeSpan.TicksPerSecond * 100);
        json.WriteEndObject();
    }

    /// <summary>No trace context: all-zero ids, no flags, not remote, no state, no cause (what restate-server records without tracing).</summary>
    private static void WriteEmptySpanContext(Utf8JsonWriter json)
    {
        json.WriteStartObject("span_context");
        json.WriteStartObject("span_context");
        json.WriteStartArray("trace_id");
        for (var i = 0; i < 16; i++)
        {
            json.WriteNumberValue(0);
        }

        json.WriteEndArray();
        json.WriteStartArray("span_id");
        for (var i = 0; i < 8; i++)
        {
            json.WriteNumberValue(0);
        }

        json.WriteEndArray();
        json.WriteNumber("trace_flags", 0);
        json.WriteBoolean("is_remote", false);
        json.WriteString("trace_state", string.Empty);
        json.WriteEndObject();
        json.WriteNull("cause");
        json.WriteEndObject();
    }
}
