using System.Text.Json;
using System.Text.Unicode;

namespace Keel.Protocol.Payloads;

/// <summary>
/// Checks that a payload is one well-formed JSON value (RFC 8259: no comments, no trailing commas) and,
/// when it is not, says where, in the words the server's ingress and the SDK both use
/// ("malformed JSON at line 1, position 7: …"). Shared so the same body gets the same answer from either.
/// </summary>
public static class JsonSyntax
{
    // A forward-only token scan: no DOM, no strings materialised, so checking a large body costs one
    // pass over its bytes. Depth is not limited here (the reader's default of 64 would refuse valid
    // JSON other SDKs accept); the reader tracks depth in a bit stack, not on the call stack.
    private static readonly JsonReaderOptions Strict = new() { MaxDepth = int.MaxValue };

    /// <summary>Null when <paramref name="payload"/> is one well-formed JSON value; otherwise what is wrong and where.</summary>
    public static string? Problem(ReadOnlySpan<byte> payload)
    {
        var reader = new Utf8JsonReader(payload, isFinalBlock: true, new JsonReaderState(Strict));
        try
        {
            while (reader.Read())
            {
                // The reader checks a string's syntax but not its UTF-8; check that in place, and decode
                // (allocating) only escaped strings, where decoding is what finds a lone surrogate.
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                {
                    if (reader.ValueIsEscaped)
                    {
                        _ = reader.GetString();
                    }
                    else if (!Utf8.IsValid(reader.ValueSpan))
                    {
                        return $"malformed JSON at {Where(reader.TokenStartIndex, payload)}: the string is not valid UTF-8.";
                    }
                }
            }

            // An empty or all-whitespace payload throws above ("does not contain any JSON tokens").
            return null;
        }
        catch (JsonException e)
        {
            return Describe(e);
        }
        catch (InvalidOperationException e)
        {
            // GetString() on invalid UTF-8 or a bad escape; the reader sits at that string's token.
            return $"malformed JSON at {Where(reader.TokenStartIndex, payload)}: {e.Message.TrimEnd('.')}.";
        }
    }

    /// <summary>
    /// "malformed JSON at line 1, position 7: 't' is an invalid start of a value." from a reader's or
    /// serializer's <see cref="JsonException"/> (both count lines and bytes from 0; people count from 1).
    /// </summary>
    public static string Describe(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var reason = exception.Message;
        var cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            reason = reason[..cut];
        }

        reason = reason.TrimEnd(' ', '.') + ".";
        return exception.LineNumber is { } line && exception.BytePositionInLine is { } position
            ? $"malformed JSON at line {line + 1}, position {position + 1}: {reason}"
            : $"malformed JSON: {reason}";
    }

    private static string Where(long offset, ReadOnlySpan<byte> payload)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < payload.Length; i++)
        {
            if (payload[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return $"line {line}, position {offset - lineStart + 1}";
    }
}
