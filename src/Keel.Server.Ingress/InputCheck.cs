using System.Net.Http.Headers;
using Keel.Protocol.Manifest;
using Keel.Protocol.Payloads;

namespace Keel.Server.Ingress;

/// <summary>
/// Checks an ingress request's body and content type against the handler's manifest <c>input</c>
/// before an invocation exists, so a request the handler cannot take is answered 400 and leaves
/// nothing behind (no invocation, no journal, no idempotency record).
/// </summary>
/// <remarks>
/// The rules are restate-server 1.7's (same cases refused, same status 400, including a content type
/// that does not match), plus what it leaves to the SDK: a required input must have a body, whatever
/// the content type says, and a JSON input must be well-formed JSON. Media types are compared
/// case-insensitively (RFC 9110), where restate-server compares them byte for byte. No JSON schema is
/// checked: that would cost a schema engine per request and SDKs check types anyway.
/// </remarks>
internal static class InputCheck
{
    /// <summary>Null when the request fits <paramref name="input"/>; otherwise the message of the 400.</summary>
    /// <param name="target">"Service/handler", for the message.</param>
    /// <param name="input">The handler's manifest input; null when the manifest declares none (anything goes, as in Restate).</param>
    /// <param name="contentType">The request's Content-Type header, null or empty when it has none.</param>
    public static string? Problem(string target, InputPayload? input, string? contentType, ReadOnlySpan<byte> body)
    {
        var hasContentType = !string.IsNullOrWhiteSpace(contentType);
        if (input is null)
        {
            // Restate accepts any body here, but only with a content type to pass on to the handler.
            return !body.IsEmpty && !hasContentType ? $"{target} got a body without a content-type header." : null;
        }

        if (input.ContentType is not { } accepted)
        {
            // "input": {} is a handler without input: even a content type alone is refused, as Restate does.
            return body.IsEmpty && !hasContentType
                ? null
                : $"{target} takes no input, but the request has {(body.IsEmpty ? $"a content-type ('{contentType}')" : "a body")}: send an empty body without a content-type header.";
        }

        if (hasContentType && !Matches(accepted, contentType!))
        {
            return $"{target} takes '{accepted}', but the request's content-type is '{contentType}'.";
        }

        if (body.IsEmpty)
        {
            if (input.Required == true)
            {
                return $"{target} requires an input ({accepted}), but the request has no body.";
            }

            // With a JSON schema Restate reads a content type on an empty body as a promise of a value that is missing.
            return input.JsonSchema is not null && hasContentType ? $"{target} got a content-type but an empty body; send a value or no content-type." : null;
        }

        if (!hasContentType)
        {
            return $"{target} got a body without a content-type header; it takes '{accepted}'.";
        }

        return IsJson(accepted) || input.JsonSchema is not null
            ? JsonSyntax.Problem(body) is { } malformed ? $"{target} got {malformed}" : null
            : null;
    }

    /// <summary>Whether a request's media type (parameters ignored) fits the manifest's pattern: <c>*/*</c>, <c>type/*</c> or <c>type/subtype</c>.</summary>
    internal static bool Matches(string pattern, string contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is not { } mediaType)
        {
            return false;
        }

        var wanted = pattern.Split(';', 2)[0].Trim();
        if (wanted == "*/*")
        {
            return true;
        }

        return wanted.EndsWith("/*", StringComparison.Ordinal)
            ? mediaType.StartsWith(wanted[..^1], StringComparison.OrdinalIgnoreCase)
            : string.Equals(mediaType, wanted, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>application/json and the structured-syntax suffix form (application/problem+json…).</summary>
    private static bool IsJson(string pattern)
    {
        var mediaType = pattern.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
