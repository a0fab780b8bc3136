using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Keel.Sdk.AspNetCore;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Keel.Client.Tests;

/// <summary>
/// KeelBuilder.AdminUrl (KEEL_ADMIN_URL): the endpoint registers itself once it listens, retrying
/// while the admin API is not ready. Against a stand-in admin API that records what it is sent.
/// </summary>
public sealed class SelfRegistrationTests
{
    [Fact]
    public async Task The_endpoint_posts_its_own_url_to_the_admin_api_and_retries_until_it_is_accepted()
    {
        var bodies = new ConcurrentQueue<JsonObject>();
        var adminPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{adminPort}");
        await using var admin = builder.Build();
        admin.MapPost("/deployments", async (HttpRequest request) =>
        {
            var body = (JsonObject)(await JsonNode.ParseAsync(request.Body))!;
            bodies.Enqueue(body);
            // The first attempt finds a runtime that is still starting.
            return bodies.Count == 1 ? Results.StatusCode(503) : Results.Created("/deployments/dp_1", new { id = "dp_1" });
        });
        await admin.StartAsync();

        var port = FreePort.Next();
        await using var endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k =>
        {
            k.AddService<Greeter>();
            k.AdminUrl = new Uri($"http://127.0.0.1:{adminPort}");
        });
        await endpoint.StartAsync();

        await Eventually.UntilAsync(() => Task.FromResult(bodies.Count >= 2), TimeSpan.FromSeconds(20), "the endpoint registered itself after a retry");
        var last = bodies.Last();
        Assert.Equal($"http://127.0.0.1:{port}/", (string?)last["uri"]);
        Assert.True((bool?)last["force"]);
        Assert.Null(last["use_http_11"]);
        await endpoint.StopAsync();
        Assert.Equal(2, bodies.Count);
    }
}
