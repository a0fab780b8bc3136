using System.Globalization;
using System.Net;

namespace Keel.Server.Hosting;

/// <summary>The settings of the server's listeners: one per role, each with its own address, and what guards them.</summary>
public sealed partial record ServerSettings
{
    /// <summary>The ingress listener's address; default <see cref="BindAddress"/>.</summary>
    public string? IngressBind { get; init; }

    /// <summary>The admin listener's address (admin API, console, <c>/query</c>, <c>/metrics</c>); default <see cref="BindAddress"/>.</summary>
    public string? AdminBind { get; init; }

    /// <summary>The cluster's node-to-node listener (PostgreSQL storage only); default <see cref="BindAddress"/>.</summary>
    public string? InternalBind { get; init; }

    /// <summary>The cluster's node-to-node port (PostgreSQL storage only).</summary>
    public int InternalPort { get; init; } = 5122;

    /// <summary>A file whose first line is the admin API's bearer token; the token may also come from <c>KEEL_ADMIN_TOKEN</c>.</summary>
    public string? AdminTokenFile { get; init; }

    /// <summary>The admin API's bearer token (from <see cref="AdminTokenFile"/> or <c>KEEL_ADMIN_TOKEN</c>); null: none asked.</summary>
    public string? AdminToken { get; init; }

    /// <summary>Host names the admin API answers to besides IP literals, <c>localhost</c> and the advertised host.</summary>
    public IReadOnlyList<string> AdminAllowedHosts { get; init; } = [];

    /// <summary>The largest request body the ingress takes (larger: 413).</summary>
    public long IngressMaxBodyBytes { get; init; } = 32L << 20;

    /// <summary>The ingress URL clients use (behind a proxy: the proxy's), reported by <c>/version</c>; default: derived from the ingress listener.</summary>
    public Uri? AdvertisedIngressUrl { get; init; }

    /// <summary>The ingress listener's effective address.</summary>
    public string IngressAddress => IngressBind ?? BindAddress;

    /// <summary>The admin listener's effective address.</summary>
    public string AdminAddress => AdminBind ?? BindAddress;

    /// <summary>The internal listener's effective address.</summary>
    public string InternalAddress => InternalBind ?? BindAddress;

    // A property, not a field: Names (in another part of this type) spreads it while the type
    // initialises, and the order of field initialisers across partial parts is not defined.
    private static (string Flag, string Env, string Json)[] ListenerNames =>
    [
        ("--ingress-bind", "KEEL_INGRESS_BIND", "ingressBind"),
        ("--admin-bind", "KEEL_ADMIN_BIND", "adminBind"),
        ("--internal-bind", "KEEL_INTERNAL_BIND", "internalBind"),
        ("--internal-port", "KEEL_INTERNAL_PORT", "internalPort"),
        ("--admin-token-file", "KEEL_ADMIN_TOKEN_FILE", "adminTokenFile"),
        ("--admin-allowed-hosts", "KEEL_ADMIN_ALLOWED_HOSTS", "adminAllowedHosts"),
        ("--ingress-max-body", "KEEL_INGRESS_MAX_BODY", "ingressMaxBody"),
        ("--advertised-ingress-url", "KEEL_ADVERTISED_INGRESS_URL", "advertisedIngressUrl"),
    ];

    private ServerSettings WithListenerSettings(Dictionary<string, string> values, Func<string, string?> env)
    {
        var tokenFile = Text(values, "adminTokenFile");
        var token = env("KEEL_ADMIN_TOKEN") is { Length: > 0 } fromEnv ? fromEnv.Trim() : null;
        if (tokenFile is not null)
        {
            try
            {
                token = File.ReadLines(tokenFile).FirstOrDefault()?.Trim();
            }
            catch (IOException e)
            {
                throw new ArgumentException($"'adminTokenFile' cannot be read: {e.Message}", e);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ArgumentException($"'adminTokenFile' cannot be read: {e.Message}", e);
            }

            if (string.IsNullOrEmpty(token))
            {
                throw new ArgumentException($"'adminTokenFile' {tokenFile} is empty: its first line is the token.");
            }
        }

        if (token is { Length: < 16 })
        {
            throw new ArgumentException("The admin token is shorter than 16 characters: use a long random one (e.g. openssl rand -hex 32).");
        }

        return this with
        {
            IngressBind = Address(values, "ingressBind"),
            AdminBind = Address(values, "adminBind"),
            InternalBind = Address(values, "internalBind"),
            InternalPort = values.TryGetValue("internalPort", out var port)
                ? int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536 ? p : throw new ArgumentException($"'internalPort' must be a port number, got '{port}'.")
                : InternalPort,
            AdminTokenFile = tokenFile,
            AdminToken = token,
            AdminAllowedHosts = Text(values, "adminAllowedHosts")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
            IngressMaxBodyBytes = Text(values, "ingressMaxBody") is { } size ? ByteSize(size, "ingressMaxBody", "32MiB or 1048576") : IngressMaxBodyBytes,
            AdvertisedIngressUrl = Text(values, "advertisedIngressUrl") is { } url
                ? Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) ? uri
                    : throw new ArgumentException($"'advertisedIngressUrl' must be an http(s) URL, got '{url}'.")
                : null,
        };
    }

    /// <summary>Whether an address listens only on this machine (the admin API may then go without a token).</summary>
    public static bool IsLoopback(string address) =>
        address.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(address, out var ip) && IPAddress.IsLoopback(ip));

    private static string? Text(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;

    private static string? Address(Dictionary<string, string> values, string key) =>
        Text(values, key) is not { } text ? null
        : IPAddress.TryParse(text, out _) ? text
        : throw new ArgumentException($"'{key}' must be an IP address such as 127.0.0.1 or 0.0.0.0, got '{text}'.");

    /// <summary>A byte count: a number, optionally with KiB, MiB or GiB (also k, m, g).</summary>
    private static long ByteSize(string text, string key, string examples)
    {
        var units = new (string Suffix, long Factor)[] { ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("g", 1L << 30), ("m", 1L << 20), ("k", 1L << 10), ("B", 1), ("", 1) };
        foreach (var (suffix, factor) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && long.TryParse(text.AsSpan(0, text.Length - suffix.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                && number > 0 && number <= long.MaxValue / factor)
            {
                return number * factor;
            }
        }

        throw new ArgumentException($"'{key}' must be a size such as {examples}, got '{text}'.");
    }
}
