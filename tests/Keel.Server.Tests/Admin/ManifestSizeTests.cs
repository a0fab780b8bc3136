using System.Net;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Keel.Server.Tests.Admin;

/// <summary>Discovery reads at most 16 MiB of an endpoint's answer, and never buffers more.</summary>
public class ManifestSizeTests
{
    private static async Task<(HttpStatusCode Status, string Message)> RegisterAsync(AdminHost host, Uri uri)
    {
        var (status, body, _) = await host.SendAsync(HttpMethod.Post, "/deployments", new JsonObject { ["uri"] = uri.ToString() }.Text());
        return (status, (string?)body?["message"] ?? string.Empty);
    }

    private static async Task<WebApplication> EndpointAsync(RequestDelegate discover)
    {
        var app = Apps.Create(Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2);
        app.MapGet("/discover", discover);
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task An_endless_manifest_is_refused_with_a_400_naming_the_cap_once_16_MiB_are_read()
    {
        await using var endpoint = await EndpointAsync(async http =>
        {
            // No Content-Length: a body that goes on until the server hangs up (a server that read it all never would).
            http.Response.ContentType = EndpointManifest.ContentType(3);
            var chunk = new byte[64 * 1024];
            Array.Fill(chunk, (byte)' ');
            while (!http.RequestAborted.IsCancellationRequested)
            {
                await http.Response.Body.WriteAsync(chunk, http.RequestAborted);
            }
        });
        await using var host = await AdminHost.StartAsync();

        var (status, message) = await RegisterAsync(host, Apps.Address(endpoint));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("more than 16 MiB (16777216 bytes), the largest manifest this server reads", message, StringComparison.Ordinal);
        Assert.Empty((await host.GetAsync("/deployments"))["deployments"]!.AsArray());
    }

    [Fact]
    public async Task A_declared_length_over_the_cap_is_refused_before_any_of_it_is_read()
    {
        await using var endpoint = await EndpointAsync(async http =>
        {
            http.Response.ContentType = EndpointManifest.ContentType(3);
            http.Response.ContentLength = 1L << 30;
            await http.Response.Body.WriteAsync("{"u8.ToArray());
            await http.Response.Body.FlushAsync();

            // Sends nothing more: a server that read the body would wait here until its timeout.
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        await using var host = await AdminHost.StartAsync();

        var (status, message) = await RegisterAsync(host, Apps.Address(endpoint));

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {message}");
        Assert.Contains("more than 16 MiB", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_manifest_just_under_the_cap_is_still_read()
    {
        var manifest = Manifests.Of(Manifests.Greeter()).ToJson();
        var padded = manifest + new string(' ', (16 << 20) - manifest.Length);
        await using var endpoint = await EndpointAsync(async http =>
        {
            http.Response.ContentType = EndpointManifest.ContentType(3);
            await http.Response.WriteAsync(padded);
        });
        await using var host = await AdminHost.StartAsync();

        var registered = await host.RegisterAsync(Apps.Address(endpoint));

        Assert.Equal("Greeter", (string)registered["services"]![0]!["name"]!);
    }
}
