using Microsoft.AspNetCore.Routing.Matching;

namespace Keel.Server.Hosting.Listeners;

/// <summary>
/// Routing by listener: a candidate endpoint stays valid only when the connection was accepted by the
/// listener of the endpoint's role. Fails closed: a route without a role, or a connection without
/// one, matches nothing, so a route someone forgot to bind cannot leak onto the public port.
/// </summary>
internal sealed class ListenerRoleMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // Before the HTTP-method policy, so a route of another listener never answers 405 and thereby
    // reveals that it exists.
    public override int Order => -1000;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => endpoints.Count > 0;

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var role = httpContext.ListenerRole();
        for (var i = 0; i < candidates.Count; i++)
        {
            var wanted = candidates[i].Endpoint.Metadata.GetMetadata<ListenerRoleMetadata>()?.Role;
            if (wanted is null || wanted != role)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }
}
