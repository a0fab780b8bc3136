using System.Globalization;
using System.Net;
using Keel.Protocol.Manifest;

namespace Keel.Sdk.AspNetCore;

/// <summary>Collects the services an endpoint serves and where Keel listens for the runtime.</summary>
public sealed class KeelBuilder
{
    /// <summary>The port used when neither <see cref="Port"/> nor <c>KEEL_PORT</c> is set.</summary>
    public const int DefaultPort = 9080;

    internal ServiceRegistry Registry { get; } = new();

    /// <summary>BIDI_STREAM (HTTP/2 cleartext, the default) or REQUEST_RESPONSE (HTTP/1.1).</summary>
    public ProtocolMode ProtocolMode { get; set; } = ProtocolMode.BidiStream;

    /// <summary>
    /// The port of Keel's own listener (HTTP/2 cleartext for BIDI_STREAM, HTTP/1.1 for REQUEST_RESPONSE);
    /// the discovery and invocation routes answer only there. Defaults to <c>KEEL_PORT</c>, else 9080.
    /// </summary>
    public int Port { get; set; } = int.TryParse(Environment.GetEnvironmentVariable("KEEL_PORT"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : DefaultPort;

    /// <summary>The address Keel's listener binds. Defaults to <c>KEEL_BIND_ADDRESS</c>, else 127.0.0.1 (use <see cref="IPAddress.Any"/> in a container).</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.TryParse(Environment.GetEnvironmentVariable("KEEL_BIND_ADDRESS"), out var address) ? address : IPAddress.Loopback;

    /// <summary>
    /// Keep serving the application's own URLs (<c>urls</c>/<c>ASPNETCORE_URLS</c>, <c>app.Urls</c>,
    /// <c>http_ports</c>/<c>https_ports</c>, else Kestrel's default http://localhost:5000) next to Keel's
    /// listener. True by default; false serves Keel's listener alone.
    /// </summary>
    public bool KeepAppUrls { get; set; } = true;

    /// <summary>
    /// Request identity: the public keys (<c>publickeyv1_…</c>, as restate-server or keel-server log at
    /// start) whose signature every request to <c>/invoke</c> and <c>/discover</c> must carry
    /// (<c>x-restate-jwt-v1</c>); others are answered 401. Empty (the default): no check. Defaults to
    /// <c>KEEL_IDENTITY_KEYS</c> (comma-separated).
    /// </summary>
    public IList<string> IdentityKeys { get; } = [.. (Environment.GetEnvironmentVariable("KEEL_IDENTITY_KEYS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>
    /// A runtime's admin API (e.g. <c>http://127.0.0.1:9070</c>) to register this endpoint with once it
    /// listens (<c>POST /deployments</c>, replacing an earlier registration of the same URL), so that
    /// <c>dotnet run</c> alone makes the services callable. Meant for development; in production register
    /// deployments from the release pipeline. Defaults to <c>KEEL_ADMIN_URL</c>; null (the default without
    /// it) registers nothing.
    /// </summary>
    public Uri? AdminUrl { get; set; } = Uri.TryCreate(Environment.GetEnvironmentVariable("KEEL_ADMIN_URL"), UriKind.Absolute, out var admin) ? admin : null;

    /// <summary>
    /// The URL the runtime reaches this endpoint at, as registered through <see cref="AdminUrl"/>. Defaults to
    /// <c>KEEL_ADVERTISED_URL</c>, else Keel's listener (<c>http://127.0.0.1:9080</c>; a wildcard bind address
    /// is advertised as loopback).
    /// </summary>
    public Uri? AdvertisedUrl { get; set; } = Uri.TryCreate(Environment.GetEnvironmentVariable("KEEL_ADVERTISED_URL"), UriKind.Absolute, out var advertised) ? advertised : null;

    /// <summary>
    /// In the Development environment (<c>DOTNET_ENVIRONMENT</c> or <c>ASPNETCORE_ENVIRONMENT</c> is
    /// <c>Development</c>, as the template's launch settings set it), advertise a short retry policy for
    /// the services that set none: 4 attempts 0.5 s, 1 s and 2 s apart, then the invocation pauses, so a
    /// handler's bug shows within seconds on Keel's server and on restate-server alike (their defaults
    /// retry for about an hour). True by default; false leaves the retry policy to the server. Other
    /// environments never advertise it. The policy is read at registration: register again after a change.
    /// </summary>
    public bool DevelopmentRetryPolicy { get; set; } = true;

    internal Identity.RequestIdentityVerifier Identity { get; set; } = new([]);

    /// <summary>How handler inputs, outputs and state are (de)serialized: <c>k.Json.Configure(o => …).AddContext(MyJsonContext.Default)</c>.</summary>
    public KeelJsonOptions Json { get; } = new();

    /// <summary>Serves the attributed class <typeparamref name="T"/> (a service, virtual object or workflow).</summary>
    public KeelBuilder AddService<T>()
    {
        Registry.Add<T>();
        return this;
    }

    /// <summary>Serves an attributed class known only at run time.</summary>
    public KeelBuilder AddService(Type type)
    {
        Registry.Add(ServiceDefinition.For(type));
        return this;
    }

    internal string ListenerUrl => BindAddress.Equals(IPAddress.Any) ? $"http://0.0.0.0:{Port}"
        : BindAddress.Equals(IPAddress.IPv6Any) ? $"http://[::]:{Port}"
        : new UriBuilder("http", BindAddress.ToString(), Port).Uri.ToString().TrimEnd('/');
}
