using Keel.Protocol.Manifest;

namespace Keel.Sdk.AspNetCore;

/// <summary>
/// The short retry policy an endpoint in the Development environment advertises for services that set
/// none: a handler's bug pauses its invocation after 4 attempts within a few seconds, on any
/// Restate-compatible server, instead of being retried for about an hour by the server's default.
/// The same values as <c>keel-server --dev</c>.
/// </summary>
internal static class DevelopmentRetryPolicy
{
    /// <summary>Retry policies in the manifest arrived with version 4; an older reader is left as it was.</summary>
    private const int FirstManifestVersion = 4;

    public static EndpointManifest Apply(EndpointManifest manifest, int manifestVersion) =>
        manifestVersion < FirstManifestVersion ? manifest : manifest with
        {
            // Field by field the handler's policy wins over the service's, so a handler's own settings stay.
            Services = [.. manifest.Services.Select(s => s.HasRetryPolicy ? s : s with
            {
                RetryPolicyInitialInterval = 500,
                RetryPolicyExponentiationFactor = 2.0,
                RetryPolicyMaxInterval = 2_000,
                RetryPolicyMaxAttempts = 4,
                RetryPolicyOnMaxAttempts = RetryPolicyOnMaxAttempts.Pause,
            })],
        };
}
