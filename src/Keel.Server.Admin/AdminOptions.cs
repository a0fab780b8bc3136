using System.Net;
using Keel.Server.Hosting;

namespace Keel.Server.Admin;

/// <summary>What the admin API reports about the server: its ingress address and the defaults a service gets when neither an operator nor its manifest sets a value.</summary>
public sealed record AdminOptions
{
    /// <summary>The ingress base URL (<c>http://host:port/</c>) <c>/version</c> advertises; null when unknown.</summary>
    public string? IngressUrl { get; init; }

    /// <summary>
    /// What <c>/health</c> says beyond its status code; null: an empty 200 as Restate answers. A node
    /// of a cluster says which partitions it serves (a healthy node may serve none for a while).
    /// </summary>
    public Func<System.Text.Json.Nodes.JsonObject?>? HealthDetails { get; init; }

    /// <summary>The runtime defaults (retention of completed invocations and of their journals, timeouts, retry policy).</summary>
    public RuntimeOptions Runtime { get; init; } = new() { DataDirectory = string.Empty };

    /// <summary>The options of the server started with <paramref name="settings"/>.</summary>
    public static AdminOptions From(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new AdminOptions
        {
            IngressUrl = settings.AdvertisedIngressUrl?.ToString() ?? IngressUrlOf(settings.IngressAddress, settings.IngressPort),
            Runtime = settings.ApplyRetryDefaults(new RuntimeOptions
            {
                DataDirectory = settings.DataDirectory,
                CompletionRetention = settings.DefaultRetention,
                DefaultJournalRetention = settings.DefaultJournalRetention,
            }),
        };
    }

    /// <summary>The URL clients reach the ingress at: the bind address, or loopback when it binds every interface.</summary>
    public static string IngressUrlOf(string bindAddress, int port)
    {
        var address = IPAddress.TryParse(bindAddress, out var parsed) ? parsed : IPAddress.Loopback;
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        return $"http://{host}:{port}/";
    }
}
