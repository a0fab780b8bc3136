using Microsoft.Extensions.DependencyInjection;

namespace Keel.Sdk.AspNetCore;

public static class KeelServiceCollectionExtensions
{
    /// <summary>Registers Keel services; expose them with <c>app.MapKeel()</c>.</summary>
    public static IServiceCollection AddKeel(this IServiceCollection services, Action<KeelBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = new KeelBuilder();
        configure(builder);
        services.AddSingleton(builder);
        services.AddSingleton(builder.Registry);
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
