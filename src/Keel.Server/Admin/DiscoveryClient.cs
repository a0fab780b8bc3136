using System.Net;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;

namespace Keel.Server.Admin;

/// <summary>Fetches an endpoint's manifest: <c>GET {uri}/discover</c>, h2c by default, HTTP/1.1 on request.</summary>
public sealed class DiscoveryClient
{
    private static readonly string Accept = string.Join(", ", Enumerable.Range(1, 4).Select(EndpointManifest.ContentType));

    public async Task<(EndpointManifest Manifest, string? SdkVersion)> DiscoverAsync(Uri uri, DeploymentHttpVersion version, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        using var client = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            Timeout = TimeSpan.FromSeconds(30),
            DefaultRequestVersion = version == DeploymentHttpVersion.Http11 ? HttpVersion.Version11 : HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        // A just-started endpoint may not listen yet: retry transient failures for a few seconds.
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') + "/discover" }.Uri);
            request.Version = client.DefaultRequestVersion;
            request.VersionPolicy = client.DefaultVersionPolicy;
            request.Headers.TryAddWithoutValidation("accept", Accept);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            try
            {
                using var response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode is 408 or 429 or >= 500 && attempt < 5)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    throw new ManifestException($"Discovery at {uri} answered {(int)response.StatusCode}: {body}");
                }

                var contentType = response.Content.Headers.ContentType?.MediaType ?? string.Empty;
                if (!contentType.StartsWith(EndpointManifest.ContentTypePrefix, StringComparison.Ordinal))
                {
                    throw new ManifestException($"Discovery at {uri} answered with content type '{contentType}', not an endpoint manifest.");
                }

                var sdk = response.Headers.TryGetValues("x-restate-server", out var values) ? values.FirstOrDefault() : null;
                return (EndpointManifest.FromJson(body), sdk);
            }
            catch (HttpRequestException e) when (attempt < 5)
            {
                _ = e;
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ManifestException($"Cannot reach {uri}: {e.Message}", e);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new ManifestException($"The manifest of {uri} is not valid JSON: {e.Message}", e);
            }
        }
    }
}
