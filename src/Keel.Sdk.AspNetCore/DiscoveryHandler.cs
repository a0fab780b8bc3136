using Keel.Protocol.Manifest;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Keel.Sdk.AspNetCore;

/// <summary>Serves the endpoint manifest in the highest version (v4, v3, v2) the runtime accepts.</summary>
internal static class DiscoveryHandler
{
    private static readonly int[] Supported = [4, 3, 2];

    public static async Task HandleAsync(HttpContext http, KeelBuilder builder)
    {
        http.Response.Headers[SdkVersion.HeaderName] = SdkVersion.Value;
        var accept = http.Request.Headers.Accept.ToString();
        var version = Supported.FirstOrDefault(v => accept.Contains(EndpointManifest.ContentType(v), StringComparison.OrdinalIgnoreCase));
        if (version == 0)
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            await http.Response.WriteAsync($"Unsupported discovery version; accepted: {string.Join(", ", Supported.Select(EndpointManifest.ContentType))}.");
            return;
        }

        http.Response.ContentType = EndpointManifest.ContentType(version);
        var manifest = builder.Registry.BuildManifest(builder.ProtocolMode);
        if (builder.DevelopmentRetryPolicy && http.RequestServices.GetService<IHostEnvironment>()?.IsDevelopment() == true)
        {
            manifest = DevelopmentRetryPolicy.Apply(manifest, version);
        }

        await http.Response.WriteAsync(manifest.ToJson());
    }
}
