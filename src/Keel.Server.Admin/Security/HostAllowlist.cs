using System.Net;

namespace Keel.Server.Admin.Security;

/// <summary>
/// Decides whether a Host header names this server. IP literals and <c>localhost</c> always do (a
/// rebinding attack needs a DNS name under the attacker's control); other names only when configured.
/// </summary>
internal sealed class HostAllowlist(IEnumerable<string> names)
{
    private readonly HashSet<string> _names = new(names.Select(n => n.Trim().TrimEnd('.')).Where(n => n.Length > 0), StringComparer.OrdinalIgnoreCase);

    public bool Allows(HostString host)
    {
        if (!host.HasValue)
        {
            // HTTP/1.0 without Host: no browser sends that, so it carries no rebound name.
            return true;
        }

        var name = host.Host.TrimEnd('.');
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }

        return IPAddress.TryParse(name, out _)
            || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || _names.Contains(name);
    }
}
