namespace Keel.Server.Hosting.Listeners;

/// <summary>Endpoint metadata: the listener role whose connections this route answers on.</summary>
public sealed class ListenerRoleMetadata(ListenerRole role)
{
    public ListenerRole Role { get; } = role;
}

/// <summary>Binds routes to a listener role.</summary>
public static class ListenerRoleRouting
{
    /// <summary>The route answers only on connections of <paramref name="role"/>'s listener (404 on any other).</summary>
    public static TBuilder OnListener<TBuilder>(this TBuilder builder, ListenerRole role) where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new ListenerRoleMetadata(role));
    }
}
