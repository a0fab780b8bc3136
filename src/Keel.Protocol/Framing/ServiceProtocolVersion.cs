namespace Keel.Protocol.Framing;

/// <summary>Service protocol versions Keel speaks (V5 to V7), negotiated through the content type.</summary>
public enum ServiceProtocolVersion
{
    /// <summary>No version negotiated (not a valid content type).</summary>
    Unspecified = 0,
    /// <summary>Service protocol V5.</summary>
    V5 = 5,
    /// <summary>Service protocol V6.</summary>
    V6 = 6,
    /// <summary>Service protocol V7.</summary>
    V7 = 7,
}

/// <summary>The versions Keel supports and their content types (<c>application/vnd.restate.invocation.vN</c>).</summary>
public static class ServiceProtocolVersions
{
    /// <summary>The oldest version spoken.</summary>
    public const int MinSupported = 5;
    /// <summary>The newest version spoken.</summary>
    public const int MaxSupported = 7;
    private const string ContentTypePrefix = "application/vnd.restate.invocation.v";

    /// <summary>The content type that announces the version.</summary>
    public static string ContentType(this ServiceProtocolVersion version) => ContentTypePrefix + (int)version;

    /// <summary>Outcome of reading an invocation content type.</summary>
    public enum ParseOutcome
    {
        /// <summary>A protocol content type with a version Keel speaks.</summary>
        Supported,
        /// <summary>A protocol content type with a version Keel does not speak.</summary>
        UnsupportedVersion,
        /// <summary>Not an invocation content type at all.</summary>
        NotAProtocolContentType,
    }

    /// <summary>Reads the version from an invocation request's content type.</summary>
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
