using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Net.Http.Headers;

namespace Keel.Server.Admin.Security;

/// <summary>
/// The admin listener's front door, run before routing so a refused request does nothing:
/// <list type="number">
/// <item>a Host that is not this server's (a DNS-rebound name) → 421;</item>
/// <item>with a token configured, a request without it → 401 (the console's files and <c>/health</c> stay open:
/// the page must load to ask for the token, and probes carry none);</item>
/// <item>a POST, or a PUT/PATCH with a body, that is not <c>application/json</c> → 415. Browsers send
/// <c>text/plain</c>, form and multipart POSTs cross-site without asking; JSON they only send after a CORS
/// preflight, which this server never grants.</item>
/// </list>
/// </summary>
public sealed class AdminRequestGuard(AdminAccessOptions options)
{
    private readonly HostAllowlist _hosts = new((options ?? throw new ArgumentNullException(nameof(options))).AllowedHosts);
    private readonly byte[]? _token = options.Token is { Length: > 0 } token ? Encoding.UTF8.GetBytes(token) : null;

    /// <summary>Checks one request; passes it on to <paramref name="next"/> only when it may go on.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        var request = http.Request;
        if (!_hosts.Allows(request.Host))
        {
            await RefuseAsync(http, StatusCodes.Status421MisdirectedRequest,
                $"The admin API does not answer to the host name '{request.Host.Host}'. Add it with --admin-allowed-hosts if it is this server's name.").ConfigureAwait(false);
            return;
        }

        if (_token is not null && !IsOpen(request) && !HasToken(request))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"keel-admin\"";
            await RefuseAsync(http, StatusCodes.Status401Unauthorized,
                "The admin API needs a bearer token: send 'Authorization: Bearer <token>' (keel: --admin-token or KEEL_ADMIN_TOKEN; restate CLI: RESTATE_AUTH_TOKEN).").ConfigureAwait(false);
            return;
        }

        if (NeedsJson(request) && !IsJson(request.ContentType))
        {
            await RefuseAsync(http, StatusCodes.Status415UnsupportedMediaType,
                $"The admin API takes JSON: send 'Content-Type: application/json' (got '{request.ContentType ?? "none"}').").ConfigureAwait(false);
            return;
        }

        await next(http).ConfigureAwait(false);
    }

    private static bool IsOpen(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path == "/" || request.Path.StartsWithSegments("/ui") || IsHealth(request.Path));

    private static bool IsHealth(PathString path) =>
        path == "/health" || path == "/v2/health" || path == "/v3/health" || path == "/v4/health";

    private bool HasToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(presented, _token);
    }

    private static bool NeedsJson(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        || ((HttpMethods.IsPut(request.Method) || HttpMethods.IsPatch(request.Method)) && HasBody(request));

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0)
        || request.ContentType is not null;

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && (parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (parsed.Suffix.HasValue && parsed.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase) && parsed.Type.Equals("application", StringComparison.OrdinalIgnoreCase)));

    private static Task RefuseAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(new JsonObject { ["message"] = message }.ToJsonString());
    }
}
