using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Admin;

/// <summary>What discovery found at an endpoint.</summary>
/// <param name="HttpVersion">The HTTP version the manifest was fetched with, which later invocations use.</param>
/// <param name="SdkVersion">The endpoint's <c>x-restate-server</c> header, if any.</param>
public sealed record DiscoveredEndpoint(EndpointManifest Manifest, string? SdkVersion, DeploymentHttpVersion HttpVersion);

/// <summary>Fetches an endpoint's manifest (<c>GET {uri}/discover</c>).</summary>
public interface IDiscoveryClient
{
    /// <exception cref="ManifestException">The endpoint cannot be reached or sent no usable manifest; the message says what to do.</exception>
    Task<DiscoveredEndpoint> DiscoverAsync(Uri uri, DeploymentHttpVersion version, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken);
}

/// <summary>
/// Discovery over HTTP: h2c (HTTP/2 without TLS, by prior knowledge) by default, HTTP/1.1 on request.
/// Transient failures (refused connections, 408/429/5xx) are retried a few times, since a
/// just-started endpoint may not listen yet. Failures become messages that say what to change.
/// </summary>
public sealed class DiscoveryClient(int attempts = 5, TimeSpan? retryDelay = null, TimeSpan? connectTimeout = null, TimeSpan? requestTimeout = null) : IDiscoveryClient
{
    /// <summary>Signs each discovery request (request identity, audience <c>/discover</c>); unsigned by default.</summary>
    public Identity.RequestSigner Signer { get; init; } = Identity.RequestSigner.Unsigned;

    private const int MaxManifestVersion = 4;
    private static readonly string Accept = string.Join(", ", Enumerable.Range(1, MaxManifestVersion).Select(EndpointManifest.ContentType));
    private readonly TimeSpan _retryDelay = retryDelay ?? TimeSpan.FromMilliseconds(200);
    private readonly TimeSpan _connectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5);
    private readonly TimeSpan _requestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30);

    public async Task<DiscoveredEndpoint> DiscoverAsync(Uri uri, DeploymentHttpVersion version, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(headers);
        var discover = DiscoverUri(uri);
        for (var attempt = 1; ; attempt++)
        {
            var last = attempt >= Math.Max(1, attempts);
            try
            {
                var answer = await SendAsync(uri, discover, version, headers, cancellationToken).ConfigureAwait(false);
                using var response = answer.Response;
                var body = answer.Body;
                if ((int)response.StatusCode is 408 or 429 or >= 500 && !last)
                {
                    await Task.Delay(_retryDelay * attempt, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                return Read(uri, discover, response, body, version, Signer.PublicKey);
            }
            catch (HttpRequestException e) when (!last && Transient(e))
            {
                await Task.Delay(_retryDelay * attempt, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw await ExplainAsync(uri, discover, version, headers, e, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw ManifestException.Discovery(
                    $"The deployment at {uri} did not answer GET {discover} within {_requestTimeout.TotalSeconds:0} s. Is it overloaded or stuck, or is a proxy holding the request?",
                    "META0003", e);
            }
        }
    }

    private static Uri DiscoverUri(Uri uri) => new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') + "/discover", Query = string.Empty }.Uri;

    /// <summary>One discovery request and its body (at most <see cref="ManifestBody.MaxBytes"/>); the caller disposes the response.</summary>
    private async Task<(HttpResponseMessage Response, string Body)> SendAsync(Uri uri, Uri discover, DeploymentHttpVersion version, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = _connectTimeout, AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan };

        // One deadline for the headers and the body: HttpClient.Timeout would not cover a body read after the headers.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_requestTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, discover)
            {
                Version = version == DeploymentHttpVersion.Http11 ? HttpVersion.Version11 : HttpVersion.Version20,
                VersionPolicy = version == DeploymentHttpVersion.Http11 || discover.Scheme == Uri.UriSchemeHttp
                    ? HttpVersionPolicy.RequestVersionExact
                    : HttpVersionPolicy.RequestVersionOrLower,
            };
            request.Headers.TryAddWithoutValidation("accept", Accept);
            Signer.Sign(request.Headers, "/discover");
            foreach (var (name, value) in headers.Where(h => !Invoker.InvokerHeaders.IsReserved(h.Key)))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            try
            {
                return (response, await ManifestBody.ReadAsync(response, uri, discover, deadline.Token).ConfigureAwait(false));
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    private static bool Transient(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.ResponseEnded
        && (e.InnerException as SocketException)?.SocketErrorCode is not SocketError.HostNotFound;

    private static DiscoveredEndpoint Read(Uri uri, Uri discover, HttpResponseMessage response, string body, DeploymentHttpVersion version, string? identityKey)
    {
        var status = (int)response.StatusCode;
        if (status == 404)
        {
            throw ManifestException.Discovery(
                $"GET {discover} answered 404 Not Found: is '{uri.AbsolutePath}' the path where the SDK endpoint is mounted? Register the URI the endpoint serves /discover under. {Excerpt(body)}",
                "META0003");
        }

        if (status is >= 300 and < 400)
        {
            throw ManifestException.Discovery(
                $"GET {discover} answered {status} (a redirect to {response.Headers.Location?.ToString() ?? "nowhere"}); register the URI the endpoint is served at.",
                "META0003");
        }

        if (!response.IsSuccessStatusCode)
        {
            var hint = status is 401 or 403 ? " If the endpoint needs credentials, pass them as additional_headers." : string.Empty;
            if (status == 401)
            {
                hint += identityKey is null
                    ? " If it checks request identity, start this server with --request-identity-private-key-pem-file and give the endpoint the public key it logs."
                    : $" If it checks request identity, this server signs with {identityKey}: is that key among the endpoint's identity keys?";
            }

            throw ManifestException.Discovery($"GET {discover} answered {status} {response.ReasonPhrase}.{hint} {Excerpt(body)}", "META0003");
        }

        var contentType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
        var expected = $"{EndpointManifest.ContentType(1)} to {EndpointManifest.ContentType(MaxManifestVersion)}";
        if (!contentType.StartsWith(EndpointManifest.ContentTypePrefix, StringComparison.Ordinal))
        {
            throw ManifestException.Discovery(
                $"GET {discover} answered with content type '{contentType}', not an endpoint manifest ({expected}): is this a Restate SDK endpoint, and is the path right? {Excerpt(body)}",
                "META0013");
        }

        var versionText = contentType[EndpointManifest.ContentTypePrefix.Length..].Split('+')[0];
        if (!int.TryParse(versionText, out var manifestVersion) || manifestVersion is < 1 or > MaxManifestVersion)
        {
            throw ManifestException.Discovery(
                $"The endpoint at {uri} sent manifest format '{contentType}', which this server cannot read ({expected}); use an SDK release compatible with Restate 1.7.",
                "META0013");
        }

        EndpointManifest manifest;
        try
        {
            manifest = EndpointManifest.FromJson(body);
        }
        catch (JsonException e)
        {
            throw ManifestException.Discovery($"The manifest sent by {uri} is not valid: {e.Message} {Excerpt(body)}", null, e);
        }

        var sdk = response.Headers.TryGetValues("x-restate-server", out var values) ? values.FirstOrDefault() : null;
        var negotiated = response.Version == HttpVersion.Version11 || version == DeploymentHttpVersion.Http11
            ? DeploymentHttpVersion.Http11
            : DeploymentHttpVersion.Http2PriorKnowledge;
        return new DiscoveredEndpoint(manifest, sdk, negotiated);
    }

    /// <summary>Turns a transport failure into a message about the endpoint and what to change.</summary>
    private async Task<ManifestException> ExplainAsync(Uri uri, Uri discover, DeploymentHttpVersion version, IReadOnlyDictionary<string, string> headers, HttpRequestException e, CancellationToken cancellationToken)
    {
        var socket = e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException;
        var address = $"{uri.Host}:{uri.Port}";
        switch (socket?.SocketErrorCode)
        {
            case SocketError.ConnectionRefused:
                return ManifestException.Discovery(
                    $"Cannot reach the deployment at {uri}: the connection to {address} was refused. Is the service endpoint running and listening on that address and port?",
                    "META0003", e);
            case SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain:
                return ManifestException.Discovery(
                    $"Cannot reach the deployment at {uri}: the host name '{uri.Host}' cannot be resolved. Check the URI.", "META0003", e);
            case SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable:
                return ManifestException.Discovery(
                    $"Cannot reach the deployment at {uri}: {address} is unreachable from this server ({socket.Message}). Is it running, and can this server reach it (network, firewall)?",
                    "META0003", e);
        }

        if (e.InnerException is TimeoutException or TaskCanceledException)
        {
            return ManifestException.Discovery(
                $"Cannot reach the deployment at {uri}: connecting to {address} timed out after {_connectTimeout.TotalSeconds:0} s. Is it running, and can this server reach it (network, firewall)?",
                "META0003", e);
        }

        // h2c refused or garbled: the usual cause is an endpoint that serves HTTP/1.1 only. Ask it in HTTP/1.1 to be sure.
        if (version == DeploymentHttpVersion.Http2PriorKnowledge && discover.Scheme == Uri.UriSchemeHttp && e.HttpRequestError != HttpRequestError.ConnectionError)
        {
            var http11 = await AnswersHttp11Async(discover, headers, cancellationToken).ConfigureAwait(false);
            var what = http11
                ? $"The deployment at {uri} answers only HTTP/1.1 on this port, but registration talks to it over HTTP/2 without TLS (h2c) by default."
                : $"The deployment at {uri} did not speak HTTP/2 without TLS (h2c), the default for http:// URIs ({e.Message}); it possibly serves only HTTP/1.1.";
            return ManifestException.Discovery(
                $"{what} Make its listener HTTP/2 (h2c), or register with use_http_11 (restate CLI: --use-http1.1) to invoke it over HTTP/1.1 in request-response mode.",
                "META0014", e);
        }

        if (e.HttpRequestError == HttpRequestError.SecureConnectionError)
        {
            return ManifestException.Discovery(
                $"Cannot reach the deployment at {uri}: the TLS handshake with {address} failed ({e.InnerException?.Message ?? e.Message}). Check that it serves https with a certificate this server trusts, or use http://.",
                "META0003", e);
        }

        return ManifestException.Discovery($"Cannot reach the deployment at {uri}: {e.Message} Is it running and reachable from this server?", "META0003", e);
    }

    private async Task<bool> AnswersHttp11Async(Uri discover, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        try
        {
            var (response, _) = await SendAsync(discover, discover, DeploymentHttpVersion.Http11, headers, cancellationToken).ConfigureAwait(false);
            response.Dispose();
            return true;
        }
        catch (ManifestException)
        {
            // It answered HTTP/1.1, with too much: that is still an HTTP/1.1 answer.
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string Excerpt(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return string.Empty;
        }

        var text = body.Trim();
        return "Body: " + (text.Length > 300 ? text[..300] + "…" : text);
    }
}
