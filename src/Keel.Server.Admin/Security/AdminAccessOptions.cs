namespace Keel.Server.Admin.Security;

/// <summary>Who may use the admin listener: the bearer token (if any) and the host names it answers to.</summary>
public sealed record AdminAccessOptions
{
    /// <summary>Required as <c>Authorization: Bearer …</c> on every admin request but the few open ones; none: no token asked.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Host names (besides IP literals and <c>localhost</c>) the admin API answers to. A name outside
    /// the list is what a DNS-rebinding page sends, so it is refused.
    /// </summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];
}
