using Keel.Server.Identity;

namespace Keel.Server.Invoker;

/// <summary>
/// The request headers the server sets itself on every request to a deployment (invocations and
/// discovery). A deployment's <c>additional_headers</c> may not name them: the endpoint trusts them
/// to come from this server (the request identity it checks, the invocation it runs, the framing of
/// the body), and a second value added by a registration would make a signed request carry a token
/// of someone else's choosing, or a body the endpoint misreads.
/// </summary>
public static class InvokerHeaders
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        // Request identity.
        RequestSigner.SchemeHeader, RequestSigner.JwtHeader,

        // What the attempt is and how its body is framed.
        "x-restate-invocation-id", "x-restate-service-key", "content-type", "accept", "content-length", "content-encoding",
        "transfer-encoding", "traceparent", "tracestate",

        // The connection itself (HTTP/1.1 hop-by-hop headers and the target's authority).
        "host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect",
    };

    /// <summary>Whether <paramref name="name"/> is one the server sets itself (also any pseudo-header such as <c>:authority</c>).</summary>
    public static bool IsReserved(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.StartsWith(':') || Reserved.Contains(name);
    }
}
