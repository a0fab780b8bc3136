using System.Net;
using Keel.Protocol.Manifest;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Keel.Sdk.AspNetCore;

/// <summary>
/// Adds Keel's own listener to the app's Kestrel server before it starts, keeping the app's configured
/// URLs, and checks once it has started that the runtime can reach it.
/// </summary>
/// <remarks>
/// The listener is added as one more URL (not with <c>Listen</c>, which would make Kestrel drop the
/// configured URLs); its protocols are set through the endpoint defaults, for its port only.
/// </remarks>
internal sealed class KeelListener(KeelBuilder keel, IServer server, IOptions<KestrelServerOptions> kestrel, IConfiguration configuration) : IHostedLifecycleService
{
    private HttpProtocols Required => keel.ProtocolMode == ProtocolMode.BidiStream ? HttpProtocols.Http2 : HttpProtocols.Http1;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Keel's listener needs Kestrel (the server has no IServerAddressesFeature); host Keel on Kestrel or use KeelEndpoint.RunAsync.");
        if (addresses.IsReadOnly)
        {
            throw new InvalidOperationException("Keel cannot add its listener: the server's address list is read-only.");
        }

        var urls = keel.KeepAppUrls ? AppUrls(addresses) : [];
        foreach (var url in urls)
        {
            if (BindingPort(url) == keel.Port)
            {
                throw new InvalidOperationException(
                    $"The app's URL '{url}' uses port {keel.Port}, which is Keel's listener port. Move the app (ASPNETCORE_URLS / --urls) or Keel (AddKeel(k => k.Port = ...) or KEEL_PORT) to another port.");
            }
        }

        addresses.Clear();
        foreach (var url in urls)
        {
            addresses.Add(url);
        }

        addresses.Add(keel.ListenerUrl);

        var options = kestrel.Value;
        var previous = EndpointDefaultsOf(options);
        options.ConfigureEndpointDefaults(listen =>
        {
            previous?.Invoke(listen);
            if (listen.EndPoint is IPEndPoint endpoint && endpoint.Port == keel.Port)
            {
                listen.Protocols = Required;
            }
        });
        if (keel.ProtocolMode == ProtocolMode.BidiStream)
        {
            // Every invocation is one long-lived stream.
            options.Limits.Http2.MaxStreamsPerConnection = Math.Max(options.Limits.Http2.MaxStreamsPerConnection, 1000);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Probes the listener as the runtime will reach it (h2c with prior knowledge, or HTTP/1.1) and fails
    /// the start with what to configure when that does not work.
    /// </summary>
    public async Task StartedAsync(CancellationToken cancellationToken)
    {
        var host = keel.BindAddress.Equals(IPAddress.Any) ? IPAddress.Loopback
            : keel.BindAddress.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : keel.BindAddress;
        var what = Required == HttpProtocols.Http2 ? "HTTP/2 cleartext with prior knowledge (h2c, how restate-server connects), so its Protocols must be Http2 only" : "HTTP/1.1";
        var fix = "Let Keel add its listener (Kestrel ignores URLs, Keel's included, when endpoints are configured in code with Listen or in the Kestrel:Endpoints configuration), "
            + $"or declare it yourself: in code `kestrel.Listen(IPAddress.Loopback, {keel.Port}, o => o.Protocols = HttpProtocols.{Required})`, "
            + $"or in configuration `Kestrel:Endpoints:Keel:Url = http://127.0.0.1:{keel.Port}` and `Kestrel:Endpoints:Keel:Protocols = {Required}`; "
            + "or move Keel with AddKeel(k => k.Port = ...) / KEEL_PORT.";
        var uri = new UriBuilder("http", host.ToString(), keel.Port, "/health").Uri;
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
        using var probe = new HttpRequestMessage(HttpMethod.Get, uri)
        {
            Version = Required == HttpProtocols.Http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        try
        {
            using var response = await http.SendAsync(probe, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Keel's listener on {uri.Authority} does not serve {what}: {e.Message} {fix}", e);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The URLs the web host would hand Kestrel (as GenericWebHostService reads them), else Kestrel's default.</summary>
    private List<string> AppUrls(ICollection<string> addresses)
    {
        if (addresses.Count > 0)
        {
            return [.. addresses];
        }

        var urls = Split(configuration[WebHostDefaults.ServerUrlsKey]);
        if (urls.Count == 0)
        {
            urls.AddRange(Split(configuration["http_ports"]).Select(p => $"http://*:{p}"));
            urls.AddRange(Split(configuration["https_ports"]).Select(p => $"https://*:{p}"));
        }

        if (urls.Count == 0)
        {
            urls.Add("http://localhost:5000");
        }

        return urls;
    }

    private static List<string> Split(string? value) =>
        [.. (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static int? BindingPort(string url)
    {
        try
        {
            var address = Microsoft.AspNetCore.Http.BindingAddress.Parse(url);
            return address.IsNamedPipe || address.IsUnixPipe ? null : address.Port;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The endpoint defaults configured so far, to run before Keel's (Kestrel exposes no getter).</summary>
    private static Action<ListenOptions>? EndpointDefaultsOf(KestrelServerOptions options) =>
        typeof(KestrelServerOptions).GetProperty("EndpointDefaults", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(options) as Action<ListenOptions>;
}
