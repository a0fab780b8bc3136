using System.Net;
using Keel.Protocol.Manifest;
using Keel.Sdk.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Keel.Testing;

/// <summary>
/// The user's services on a loopback Keel endpoint in this process, on the test clock, served as
/// HTTP/1.1 request-response: an invocation that waits (a sleep, a call, a promise) suspends at once
/// instead of holding a stream open until the inactivity timeout, so the runtime becomes idle as soon
/// as nothing can progress and time can be skipped without waiting.
/// </summary>
internal static class ServicesEndpoint
{
    private const int BindAttempts = 5;

    public static async Task<(WebApplication App, Uri Url)> StartAsync(KeelTestEnvironmentOptions options, KeelTestClock clock, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = TestPorts.Next();
            var app = Build(options, clock, port);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return (app, new Uri($"http://127.0.0.1:{port}/"));
            }
            catch (IOException) when (attempt < BindAttempts)
            {
                // The port was taken after it was found free: try another one.
                await app.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    private static WebApplication Build(KeelTestEnvironmentOptions options, KeelTestClock clock, int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        options.ConfigureLogging?.Invoke(builder.Logging);

        // Registered before AddKeel (which only adds the system clock when none is there): ctx.SleepAsync,
        // delayed sends and ctx.NowAsync compute their instants on the test clock, as the server does.
        builder.Services.AddSingleton<TimeProvider>(clock);
        options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddKeel(k =>
        {
            options.ConfigureKeel?.Invoke(k);
            k.ProtocolMode = ProtocolMode.RequestResponse;
            k.Port = port;
            k.BindAddress = IPAddress.Loopback;
            k.KeepAppUrls = false;

            // The server's retry policy decides (fail fast, or its development profile), whatever the environment.
            k.DevelopmentRetryPolicy = false;
        });
        var app = builder.Build();
        app.MapKeel();
        return app;
    }
}
