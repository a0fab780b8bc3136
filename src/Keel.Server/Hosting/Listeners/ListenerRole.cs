namespace Keel.Server.Hosting.Listeners;

/// <summary>
/// What a listener is for. Every route belongs to exactly one role and answers only on connections
/// accepted by that role's listener: which port a request came in on decides, never its Host header.
/// </summary>
public enum ListenerRole
{
    /// <summary>Calls, sends, attach and awakeables: the public face of the server.</summary>
    Ingress,

    /// <summary>The admin API, the web console, <c>/query</c> and <c>/metrics</c>: operators only.</summary>
    Admin,

    /// <summary>Node-to-node traffic of a cluster (hand-overs): other nodes only, every request signed.</summary>
    Internal,
}
