using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Keel.Protocol.Manifest;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.AspNetCore;

/// <summary>
/// Registers the endpoint with a runtime's admin API (<c>POST /deployments</c>) once its listener is up,
/// when <see cref="KeelBuilder.AdminUrl"/> is set: a development convenience, so <c>dotnet run</c> is
/// enough to make a new or changed service callable. Retries while the runtime is not reachable yet
/// (it may be starting too); never stops the app, only logs.
/// </summary>
internal sealed partial class KeelSelfRegistration(KeelBuilder keel, IHostApplicationLifetime lifetime, ILogger<KeelSelfRegistration> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _registration = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (keel.AdminUrl is { } admin)
        {
            lifetime.ApplicationStarted.Register(() => _registration = RegisterAsync(admin, _stopping.Token));
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _registration.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RegisterAsync(Uri admin, CancellationToken stopping)
    {
        var endpoint = keel.AdvertisedUrl ?? new Uri(keel.ListenerUrl.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal));
        var body = new JsonObject
        {
            ["uri"] = endpoint.ToString(),
            // Replace a registration of the same URI in place: after an edit, a restart serves the new handlers.
            ["force"] = true,
        };
        if (keel.ProtocolMode == ProtocolMode.RequestResponse)
        {
            body["use_http_11"] = true;
        }

        var deployments = new Uri(admin, "deployments");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow + GiveUpAfter;
        var delay = TimeSpan.FromMilliseconds(200);
        while (!stopping.IsCancellationRequested)
        {
            string? failure;
            var retry = false;
            try
            {
                using var response = await http.PostAsJsonAsync(deployments, body, stopping).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    LogRegistered(logger, endpoint, admin);
                    return;
                }

                failure = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(stopping).ConfigureAwait(false)}";
                retry = response.StatusCode >= HttpStatusCode.InternalServerError;
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
                retry = true;
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                failure = "the admin API did not answer in time";
                retry = true;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!retry || DateTime.UtcNow + delay > deadline)
            {
                LogFailed(logger, endpoint, admin, failure);
                return;
            }

            try
            {
                await Task.Delay(delay, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered {Endpoint} with the Keel admin API at {Admin}")]
    private static partial void LogRegistered(ILogger logger, Uri endpoint, Uri admin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not register {Endpoint} with the Keel admin API at {Admin}: {Failure}. Register it by hand (keel deployments register).")]
    private static partial void LogFailed(ILogger logger, Uri endpoint, Uri admin, string failure);
}
