using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Hosting.Listeners;

/// <summary>
/// The role of the listener a connection was accepted on. Kestrel stamps it on the connection (see
/// <see cref="ListenerRoleConnections"/>), so every request on that connection carries it and nothing
/// the client sends can change it.
/// </summary>
internal sealed class ListenerRoleFeature(ListenerRole role)
{
    public ListenerRole Role { get; } = role;
}

/// <summary>Reads and writes the connection's <see cref="ListenerRoleFeature"/>.</summary>
public static class ListenerRoleConnections
{
    /// <summary>Tags every connection of this Kestrel listener with <paramref name="role"/>.</summary>
    public static void UseRole(this Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen, ListenerRole role)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var feature = new ListenerRoleFeature(role);
        listen.Use(next => connection =>
        {
            connection.Features.Set(feature);
            return next(connection);
        });
    }

    /// <summary>The role of the listener this request arrived on; null for a connection no Keel listener accepted (a test server).</summary>
    public static ListenerRole? ListenerRole(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Features.Get<ListenerRoleFeature>()?.Role;
    }

    internal static ListenerRole? RoleOf(ConnectionContext connection) => connection.Features.Get<ListenerRoleFeature>()?.Role;
}
