using Keel.Sdk.AspNetCore.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Sdk.AspNetCore;

/// <summary>Maps Keel's routes into an ASP.NET Core app (<c>app.MapKeel()</c>).</summary>
public static class KeelEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET {prefix}/discover</c>, <c>POST {prefix}/invoke/{service}/{handler}</c> and
    /// <c>GET {prefix}/health</c>; they answer only on Keel's listener port (<see cref="KeelBuilder.Port"/>).
    /// </summary>
    public static IEndpointRouteBuilder MapKeel(this IEndpointRouteBuilder endpoints, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var builder = endpoints.ServiceProvider.GetService<KeelBuilder>()
            ?? throw new InvalidOperationException("MapKeel needs builder.Services.AddKeel(k => k.AddService<...>()) first.");
        var group = endpoints.MapGroup(prefix).WithMetadata(new KeelListenerMetadata(builder.Port));
        group.MapGet("/discover", async (HttpContext http) =>
        {
            if (await IdentityGate.AdmitAsync(http, builder))
            {
                await DiscoveryHandler.HandleAsync(http, builder);
            }
        });
        group.MapPost("/invoke/{service}/{handler}", async (HttpContext http, string service, string handler) =>
        {
            if (await IdentityGate.AdmitAsync(http, builder))
            {
                await InvokeHandler.HandleAsync(http, builder.Registry, service, handler);
            }
        });
        group.MapGet("/health", () => Results.Text("OK", "application/text"));
        return endpoints;
    }
}
