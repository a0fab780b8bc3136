using System.Net;
using Keel.Server.Hosting;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Keel.Telemetry.Tests;

/// <summary>A server with an OTLP endpoint (http/protobuf) exports its spans there; a stand-in collector counts the requests.</summary>
[Collection(TracedSystem.Collection)]
public sealed class OtlpExportTests(TracedSystem system)
{
    [Fact]
    public async Task Spans_are_exported_with_otlp_over_http_to_the_traces_path()
    {
        var received = new LockedCollection<(string Path, string? ContentType, long Length)>();
        var collectorPort = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, collectorPort));
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            received.Add((http.Request.Path.Value!, http.Request.ContentType, body.Length));
            return Results.Ok();
        });
        await collector.StartAsync();

        var dataDirectory = Path.Combine(Path.GetTempPath(), "keel-otlp-" + Guid.NewGuid().ToString("N"));
        var settings = new ServerSettings
        {
            DataDirectory = dataDirectory,
            IngressPort = FreePort.Next(),
            AdminPort = FreePort.Next(),
            OtlpEndpoint = new Uri($"http://127.0.0.1:{collectorPort}"),
            OtlpProtocol = "http/protobuf",
        };
        try
        {
            await using var server = await FullServer.StartAsync(settings);
            using (var admin = new AdminClient(server.AdminUrl))
            {
                await admin.RegisterDeploymentAsync(system.EndpointUrl);
            }

            using var ingress = new IngressClient(server.IngressUrl);
            Assert.Equal("C:otlp", (await ingress.CallAsync("TraceC/leaf", "otlp")).Json.GetString());

            // The batch exporter sends every few seconds.
            await Eventually.UntilAsync(() => Task.FromResult(received.Any(r => r.Path == "/v1/traces" && r.Length > 0)), TimeSpan.FromSeconds(30), "an OTLP traces export");
            Assert.Equal("application/x-protobuf", received.First(r => r.Path == "/v1/traces").ContentType);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
