namespace Keel.Protocol.Framing;

/// <summary>Service protocol versions Keel speaks (V5 to V7), negotiated through the content type.</summary>
public enum ServiceProtocolVersion
{
    Unspecified = 0,
    V5 = 5,
    V6 = 6,
    V7 = 7,
}

public static class ServiceProtocolVersions
{
    public const int MinSupported = 5;
    public const int MaxSupported = 7;
    private const string ContentTypePrefix = "application/vnd.restate.invocation.v";

    public static string ContentType(this ServiceProtocolVersion version) => ContentTypePrefix + (int)version;

    /// <summary>Outcome of reading an invocation content type.</summary>
    public enum ParseOutcome
    {
        Supported,
        UnsupportedVersion,
        NotAProtocolContentType,
    }

    public static ParseOutcome TryParse(string? contentType, out ServiceProtocolVersion version)
    {
        version = ServiceProtocolVersion.Unspecified;
        if (contentType is null || !contentType.StartsWith(ContentTypePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return ParseOutcome.NotAProtocolContentType;
        }

        var rest = contentType.AsSpan(ContentTypePrefix.Length);
        var semicolon = rest.IndexOf(';');
        if (semicolon >= 0)
        {
            rest = rest[..semicolon];
        }

        if (!int.TryParse(rest.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return ParseOutcome.NotAProtocolContentType;
        }

        if (n is < MinSupported or > MaxSupported)
        {
            return ParseOutcome.UnsupportedVersion;
        }

        version = (ServiceProtocolVersion)n;
        return ParseOutcome.Supported;
    }
}
