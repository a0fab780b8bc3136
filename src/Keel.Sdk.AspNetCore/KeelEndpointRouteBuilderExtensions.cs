using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Sdk.AspNetCore;

public static class KeelEndpointRouteBuilderExtensions
{
    /// <summary>Maps <c>GET {prefix}/discover</c>, <c>POST {prefix}/invoke/{service}/{handler}</c> and <c>GET {prefix}/health</c>.</summary>
    public static IEndpointRouteBuilder MapKeel(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var builder = endpoints.ServiceProvider.GetRequiredService<KeelBuilder>();
        endpoints.MapGet(prefix + "/discover", (HttpContext http) => DiscoveryHandler.HandleAsync(http, builder));
        endpoints.MapPost(prefix + "/invoke/{service}/{handler}", (HttpContext http, string service, string handler) =>
            InvokeHandler.HandleAsync(http, builder.Registry, service, handler));
        endpoints.MapGet(prefix + "/health", () => Results.Text("OK", "application/text"));
        return endpoints;
    }
}
