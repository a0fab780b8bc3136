using System.Text;

namespace Keel.Server.Admin;

/// <summary>
/// Reads the body of a discovery answer with a cap. Whoever can register a deployment chooses the
/// address the server fetches, and an answer of gigabytes (a misconfigured URI pointing at a file
/// server, or a hostile endpoint) must not be buffered by the admin process: a declared length over
/// the cap is refused before reading, anything else stops being read at the cap. Real manifests are
/// kilobytes; restate-server's largest gRPC message is 32 MiB, so half that is still far beyond them.
/// </summary>
internal static class ManifestBody
{
    /// <summary>The largest manifest (and any other discovery answer body) read: 16 MiB.</summary>
    public const int MaxBytes = 16 << 20;

    /// <exception cref="ManifestException">The body is larger than <see cref="MaxBytes"/> (400).</exception>
    public static async Task<string> ReadAsync(HttpResponseMessage response, Uri uri, Uri discover, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength is > MaxBytes)
        {
            throw TooLarge(uri, discover);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var body = new MemoryStream();
            var chunk = new byte[81_920];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (body.Length + read > MaxBytes)
                {
                    throw TooLarge(uri, discover);
                }

                body.Write(chunk, 0, read);
            }

            return Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        }
    }

    private static ManifestException TooLarge(Uri uri, Uri discover) => new(
        $"The deployment at {uri} answered GET {discover} with more than 16 MiB ({MaxBytes} bytes), the largest manifest this server reads. Is the URI that of the SDK endpoint?",
        400, null);
}
