using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Keel.Sdk.AspNetCore;

/// <summary>Registers Keel's services, options and listener with dependency injection (<c>services.AddKeel(k => …)</c>).</summary>
public static class KeelServiceCollectionExtensions
{
    /// <summary>
    /// Registers Keel services and Keel's own listener (port <see cref="KeelBuilder.Port"/>, HTTP/2
    /// cleartext by default) next to the app's URLs; expose the services with <c>app.MapKeel()</c>.
    /// </summary>
    public static IServiceCollection AddKeel(this IServiceCollection services, Action<KeelBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new KeelBuilder();
        configure(builder);
        if (builder.Port is <= 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(configure), builder.Port, "KeelBuilder.Port must be a fixed port (1–65535).");
        }

        try
        {
            builder.Identity = new Identity.RequestIdentityVerifier(builder.IdentityKeys);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"KeelBuilder.IdentityKeys: {e.Message}", nameof(configure), e);
        }

        services.AddSingleton(builder);
        services.AddSingleton(builder.Registry);
        services.AddSingleton(builder.Json);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IHostedService, KeelListener>();
        services.AddSingleton<IHostedService, KeelSelfRegistration>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, KeelPortMatcherPolicy>());
        return services;
    }
}
