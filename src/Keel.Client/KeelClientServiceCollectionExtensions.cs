using Microsoft.Extensions.DependencyInjection;

namespace Keel.Client;

/// <summary>Registers the Keel ingress client with dependency injection.</summary>
public static class KeelClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeelClient"/> as a typed <see cref="HttpClient"/> (IHttpClientFactory):
    /// <c>services.AddKeelClient(o =&gt; o.IngressUrl = new Uri("http://localhost:8080"))</c>.
    /// </summary>
    public static IHttpClientBuilder AddKeelClient(this IServiceCollection services, Action<KeelClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services.AddHttpClient<IKeelClient, KeelClient>(http => http.Timeout = Timeout.InfiniteTimeSpan);
    }
}
