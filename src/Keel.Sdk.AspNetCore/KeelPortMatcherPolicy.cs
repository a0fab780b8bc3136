using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;

namespace Keel.Sdk.AspNetCore;

/// <summary>Marks the endpoints <c>MapKeel</c> maps: they match only connections to Keel's listener port.</summary>
public sealed class KeelListenerMetadata(int port)
{
    /// <summary>The listener port the endpoint answers on.</summary>
    public int Port { get; } = port;
}

/// <summary>
/// Keeps Keel's routes off the app's own ports (and the app's routes, e.g. its own <c>/health</c>, free of
/// Keel's). Matches on the connection's local port rather than the Host header, which proxies rewrite.
/// </summary>
internal sealed class KeelPortMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<KeelListenerMetadata>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var localPort = httpContext.Connection.LocalPort;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Endpoint.Metadata.GetMetadata<KeelListenerMetadata>() is { } keel && keel.Port != localPort)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
